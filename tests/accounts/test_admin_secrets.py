"""No admin page shows a token (secret, digest, prefix), a password hash or ciphertext: every
registered ModelAdmin's changelist and change page, and the delete page of a person, are
rendered with real rows and searched for those bytes."""

import base64

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from accounts.erasure import erasure_request_create
from accounts.services import api_token_create
from macaron.models import DataKey
from macaron.vault import cipher_for
from memory.models import Memory, TransferJob
from memory.services import memory_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _forms(blob: bytes) -> list[str]:
    """How bytes could appear on a page: hex, base64, Python's repr."""
    return [blob.hex()[:24], base64.b64encode(blob).decode()[:24], repr(blob)[2:26]]


@pytest.fixture
def secrets_on_record():
    person = UserFactory(display_name="Kim")
    staff = UserFactory(is_staff=True, is_superuser=True)
    issued = api_token_create(user=person, name="laptop")
    memory = memory_create(user=person, text="a private thought")
    job = TransferJob.objects.create(
        user=person,
        kind=TransferJob.Kind.EXPORT,
        status=TransferJob.Status.DONE,
        token_digest="d" * 8 + "0123456789abcdef" * 3 + "e" * 8,
        finished_at=timezone.now(),
    )
    erasure_request_create(staff=staff, user=person, reason="ticket 5")
    *_head, salt, digest = person.password.split("$")
    needles = [
        issued.secret,
        issued.token.digest,
        issued.token.prefix,
        job.token_digest,
        person.password,
        digest[:6],  # the hash's first characters (Django's masked summary shows them)
        salt[:6],  # the salt's
    ]
    needles += _forms(bytes(Memory.objects.get(pk=memory.pk).text_ct))
    needles += _forms(bytes(DataKey.objects.get(user_id=person.pk).wrapped_key))
    assert cipher_for(person.pk).decrypt(Memory.objects.get(pk=memory.pk).text_ct)
    return person, staff, needles


def _pages(model_admin, model) -> list[str]:
    opts = model._meta
    urls = [reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")]
    for obj in model._default_manager.all()[:3]:
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    return urls


def test_no_admin_page_shows_a_secret(client, secrets_on_record):
    person, staff, needles = secrets_on_record
    client.force_login(staff)
    urls = [reverse("admin:accounts_user_delete", args=[person.pk])]
    for model, model_admin in admin.site._registry.items():
        urls += _pages(model_admin, model)
    assert reverse("admin:accounts_user_change", args=[person.pk]) in urls
    assert len(urls) > 8
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for needle in needles:
            assert needle not in page, (url, needle)


def test_the_person_page_still_offers_a_password_change(client, secrets_on_record):
    person, staff, _needles = secrets_on_record
    client.force_login(staff)
    page = client.get(reverse("admin:accounts_user_change", args=[person.pk])).content.decode()
    assert "../password/" in page
    assert 'name="email"' in page
