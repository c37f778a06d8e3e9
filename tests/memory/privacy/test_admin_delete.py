"""Deleting a person in Django's admin erases them as an executed erasure request does: their
rows and keys go, the request is on record with who did it, and the audit chain keeps a
tombstone. A plain row delete would leave their data's keys and no trace in the log."""

import pytest
from django.urls import reverse

from accounts.admin import ADMIN_DELETE_REASON
from accounts.erasure import account_deletion_request
from accounts.models import ErasureRequest, User
from macaron.models import DataKey
from memory.models import AuditEvent, Memory
from memory.services import memory_create
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _erased(person_id: int, staff: User) -> ErasureRequest:
    assert not User.objects.filter(pk=person_id).exists()
    assert not Memory.objects.filter(user_id=person_id).exists()
    assert not DataKey.objects.filter(user_id=person_id).exists()
    [tombstone] = AuditEvent.objects.filter(subject_user_id=person_id, action="erase")
    assert (tombstone.stream, tombstone.actor_id) == ("system", staff.pk)
    request = ErasureRequest.objects.get(subject_id=person_id)
    assert (request.state, request.executed_by) == ("done", staff)
    return request


def test_the_person_page_delete_erases_them(admin_client, admin_user):
    person = UserFactory()
    memory_create(user=person, text="My blood type is O negative")
    url = reverse("admin:accounts_user_delete", args=[person.pk])

    assert admin_client.post(url, {"post": "yes"}).status_code == 302

    request = _erased(person.pk, admin_user)
    assert (request.origin, request.reason) == ("staff", ADMIN_DELETE_REASON)


def test_deleting_selected_people_erases_each_and_carries_out_a_pending_deletion(
    admin_client, admin_user
):
    waiting, other = UserFactory(), UserFactory()
    account_deletion_request(user=waiting, password=PASSWORD, confirmation=waiting.email)
    for person in (waiting, other):
        memory_create(user=person, text="I run on Sundays")

    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [waiting.pk, other.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert _erased(waiting.pk, admin_user).origin == "person"  # their own request, carried out
    assert _erased(other.pk, admin_user).origin == "staff"
    assert User.objects.filter(pk=admin_user.pk).exists()
