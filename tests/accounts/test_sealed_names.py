"""Names a person types (their companion's, their API tokens') are stored only encrypted, and
the pages and the API still show them."""

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken, Companion, User
from accounts.services import api_token_create, companion_rename
from tests.accounts.test_onboarding import answer_all
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def raw_row(table: str, pk: int) -> bytes:
    """Every column of the row as Postgres stores it, as one byte string."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT row_to_json(t)::text FROM {table} t WHERE id = %s", [pk])
        text = cursor.fetchone()[0]
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
        values = cursor.fetchone()
    blobs = b"".join(bytes(v) for v in values if isinstance(v, bytes | memoryview))
    return text.encode() + blobs


def test_the_companion_name_is_stored_encrypted_and_shown(client, user):
    answer_all(user)
    api = APIClient()
    api.force_authenticate(user)
    renamed = api.patch("/api/v1/companion/", {"name": "Biscuit the Brave"}, format="json")
    companion = Companion.objects.get(user=user)
    client.force_login(user)

    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Biscuit the Brave"
    assert b"Biscuit" not in raw_row("accounts_companion", companion.pk)
    assert companion.name == "Biscuit the Brave"
    assert "Biscuit the Brave" in client.get(reverse("onboarding_companion")).content.decode()


def test_the_companion_name_cannot_be_moved_to_another_person(user):
    answer_all(user)
    companion_rename(user=user, name="Biscuit")
    other = UserFactory()
    answer_all(other)
    Companion.objects.filter(user=other).update(name_ct=Companion.objects.get(user=user).name_ct)

    with pytest.raises(Exception, match="does not belong to this person"):
        _ = Companion.objects.get(user=other).name


def test_token_names_are_stored_encrypted_and_listed(client, user):
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"email": user.email, "password": PASSWORD, "name": "Holiday laptop"},
        format="json",
    )
    unnamed = api_token_create(user=user).token
    token = ApiToken.objects.get(pk=response.json()["id"])
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)

    assert response.json()["name"] == "Holiday laptop"
    assert b"Holiday" not in raw_row("accounts_apitoken", token.pk)
    assert token.name == "Holiday laptop"
    assert (unnamed.name, ApiToken.objects.get(pk=unnamed.pk).name_ct) == ("", None)
    listed = api.get("/api/v1/auth/tokens/").json()
    names = [item["name"] for item in listed.get("results", listed)]
    assert sorted(names) == ["", "Holiday laptop"]
    assert "Holiday laptop" in client.get(reverse("tokens")).content.decode()


def test_the_display_name_is_stored_encrypted_and_shown(client, admin_client):
    person = UserFactory(display_name="Hanako Yamada")
    client.force_login(person)
    api = APIClient()
    api.force_authenticate(person)

    renamed = api.patch("/api/v1/me/", {"display_name": "Hana Y"}, format="json")

    assert renamed.status_code == 200
    assert renamed.json()["display_name"] == "Hana Y"
    assert b"Hana" not in raw_row("accounts_user", person.pk)
    assert "Hana Y" in client.get(reverse("profile")).content.decode()
    listing = admin_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "Hana Y" in listing
    assert "\\x01" not in listing and "display_name_ct" not in listing


def test_sign_up_and_the_profile_form_keep_the_name(client):
    signed_up = client.post(
        reverse("signup"),
        {
            "email": "bea@example.org",
            "display_name": "Bea",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "time_zone": "UTC",
        },
    )
    bea = User.objects.get(email="bea@example.org")

    saved = client.post(
        reverse("profile"),
        {"display_name": "Beatrix", "time_zone": "Asia/Tokyo", "preferred_language": "en"},
    )

    assert signed_up.status_code == 302
    assert saved.status_code == 302
    bea.refresh_from_db()
    assert (bea.display_name, bea.time_zone) == ("Beatrix", "Asia/Tokyo")
    assert b"Beatrix" not in raw_row("accounts_user", bea.pk)
