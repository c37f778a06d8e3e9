"""Security events reach the audit log through accounts' hook: ids only, never what was typed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke
from community import services as community_services
from macaron.vault import cipher_for, master_key_rotate
from memory.models import AuditEvent
from memory.privacy.verify import audit_verify
from tests.community.factories import blueprint_factory
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/"


def events(user) -> list[tuple[str, str, int | None, dict]]:
    return [
        (e.action, e.actor_type, e.actor_id, e.detail)
        for e in AuditEvent.objects.filter(stream=f"user:{user.id}").order_by("sequence")
    ]


def test_login_logout_and_a_failed_login_are_recorded(client):
    person = UserFactory()

    assert client.post(reverse("login"), {"username": person.email, "password": "wrong"})
    assert client.post(reverse("login"), {"username": person.email.upper(), "password": PASSWORD})
    client.post(reverse("logout"))

    assert events(person) == [
        ("login_failed", "system", None, {"known_account": True}),
        ("login", "person", person.id, {}),
        ("logout", "person", person.id, {}),
    ]


def test_a_failed_login_for_an_unknown_address_keeps_nothing_typed(client):
    typed = "no-such-person-8123@example.org"
    client.post(reverse("login"), {"username": typed, "password": "guess-4471"})

    [event] = AuditEvent.objects.all()
    assert (event.stream, event.subject_user_id, event.action, event.detail) == (
        "system",
        None,
        "login_failed",
        {"known_account": False},
    )
    stored = f"{event.purpose} {event.detail} {event.memory_ids}"
    assert "8123" not in stored and "4471" not in stored


def test_token_created_used_once_an_hour_and_revoked():
    person = UserFactory()
    issued = api_token_create(user=person, name="laptop")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    token_id = issued.token.pk

    for _ in range(3):
        assert client.get(ME).status_code == 200
    # An hour later (the clock hour has changed) the next call is recorded again.
    ApiToken.objects.filter(pk=token_id).update(last_used_at=timezone.now() - timedelta(hours=1))
    assert client.get(ME).status_code == 200
    assert client.get(ME).status_code == 200
    api_token_revoke(user=person, token_id=token_id)
    api_token_revoke(user=person, token_id=token_id)  # already revoked: nothing new

    assert events(person) == [
        ("token_create", "person", person.id, {"token_id": token_id}),
        ("token_use", "person", person.id, {"token_id": token_id}),
        ("token_use", "person", person.id, {"token_id": token_id}),
        ("token_revoke", "person", person.id, {"token_id": token_id}),
    ]
    assert all(report.broken is None for report in audit_verify())


def test_password_change_and_log_out_everywhere_are_recorded(client):
    person = UserFactory()
    api_token_create(user=person)
    client.force_login(person)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "A-new-pass-9911",
            "new_password2": "A-new-pass-9911",
        },
    )
    assert response.status_code == 302
    api_token_create(user=person)
    client.post(reverse("logout_everywhere"))

    assert [(action, detail) for action, _, _, detail in events(person)] == [
        ("token_create", {"token_id": ApiToken.objects.order_by("pk")[0].pk}),
        ("login", {}),
        ("password_change", {"tokens_revoked": 1}),
        ("token_create", {"token_id": ApiToken.objects.order_by("pk")[1].pk}),
        ("logout_everywhere", {"tokens_revoked": 1}),
        ("logout", {}),
    ]


def test_collaborator_permission_changes_are_on_the_collaborators_record(client):
    owner, helper = UserFactory(), UserFactory()
    blueprint = blueprint_factory(author=owner)

    collaborator = community_services.collaborator_invite(
        user=owner, blueprint=blueprint, email=helper.email
    )
    community_services.collaborator_remove(
        user=owner, blueprint=blueprint, collaborator_id=collaborator.pk
    )

    assert events(helper) == [
        (
            "permission_change",
            "person",
            owner.id,
            {"blueprint_id": blueprint.pk, "permission": "collaborator", "granted": True},
        ),
        (
            "permission_change",
            "person",
            owner.id,
            {"blueprint_id": blueprint.pk, "permission": "collaborator", "granted": False},
        ),
    ]
    client.force_login(helper)
    html = client.get("/privacy/access/").content.decode()
    assert html.count("<td>Another person</td>") == 2


@pytest.mark.django_db(transaction=True)
def test_a_master_key_rotation_is_recorded_on_the_system_stream(settings, tmp_path):
    settings.MASTER_KEYRING_FILE = str(tmp_path / "keyring.json")
    person = UserFactory()
    cipher_for(person.id)  # a data key to re-wrap

    rotation = master_key_rotate()

    [event] = AuditEvent.objects.filter(stream="system")
    assert (event.action, event.actor_type, event.subject_user_id) == ("key_rotate", "system", None)
    assert event.detail == {
        "key_id": rotation.key_id,
        "resumed": False,
        "rewrapped": 1,
        "destroyed": list(rotation.destroyed),
    }
    assert all(report.broken is None for report in audit_verify())
