"""API tokens: hashed at rest, expiring, listed and revocable by their person, all revoked on a
password change or reset and on "log out everywhere"."""

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create, api_tokens_revoke_all, token_digest
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
TOKENS = "/api/v1/auth/tokens/"
ME = "/api/v1/me/"
EVERYWHERE = "/api/v1/auth/logout-everywhere/"


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def login_token(user, name: str = "") -> str:
    body = {"email": user.email, "password": PASSWORD}
    if name:
        body["name"] = name
    response = APIClient().post(TOKEN, body, format="json")
    assert response.status_code == 200
    return response.json()["token"]


def test_a_token_is_stored_only_as_its_digest_and_shown_once(user, settings):
    secret = login_token(user, name="laptop")
    row = ApiToken.objects.filter(user=user).values().get()
    assert secret.startswith("mac_") and len(secret) > 40
    assert row["digest"] == token_digest(secret)
    assert all(secret not in str(value) for value in row.values())
    assert ApiToken.objects.get(pk=row["id"]).name == "laptop"  # stored encrypted (name_ct)
    lifetime = row["expires_at"] - row["created_at"]
    assert lifetime == timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)
    listing = bearer(secret).get(TOKENS).json()
    assert secret not in str(listing)
    assert listing["results"][0]["prefix"] == secret[:10]
    assert listing["results"][0]["current"] is True


def test_the_default_lifetime_comes_from_settings(user, settings):
    settings.API_TOKEN_LIFETIME_DAYS = 3
    token = api_token_create(user=user).token
    assert token.expires_at - token.created_at == timedelta(days=3)


def test_an_expired_token_is_refused(user):
    issued = api_token_create(user=user)
    assert bearer(issued.secret).get(ME).status_code == 200
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now())
    response = bearer(issued.secret).get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize(
    "header",
    ["Bearer mac_not-a-real-token", "Bearer", "Bearer a b", "Token 0123456789abcdef", "Bearer é"],
)
def test_unknown_or_malformed_tokens_are_refused(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_an_inactive_persons_token_is_refused(user):
    issued = api_token_create(user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert bearer(issued.secret).get(ME).status_code == 401


def test_last_used_is_recorded_at_most_once_a_minute(user):
    issued = api_token_create(user=user)
    client = bearer(issued.secret)
    assert client.get(ME).status_code == 200
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ME).status_code == 200
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    client.get(ME)
    assert ApiToken.objects.get().last_used_at > first


def test_a_person_lists_creates_and_revokes_their_own_tokens(user):
    other = UserFactory()
    theirs = api_token_create(user=other, name="theirs")
    mine = login_token(user)
    client = bearer(mine)
    browser = APIClient()
    browser.force_login(user)  # a logged-in session creates tokens; a token cannot

    refused = client.post(TOKENS, {"name": "forever"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "token_cannot_create_tokens"
    assert ApiToken.objects.filter(user=user).count() == 1
    created = browser.post(
        TOKENS, {"name": "  backup   script ", "lifetime_days": 7}, format="json"
    )
    assert created.status_code == 201
    new = created.json()
    assert new["name"] == "backup script"
    token = ApiToken.objects.get(pk=new["id"])
    assert token.expires_at - token.created_at == timedelta(days=7)
    assert new["token"].startswith("mac_")
    assert bearer(new["token"]).get(ME).json()["email"] == user.email

    listing = client.get(TOKENS).json()
    assert [t["name"] for t in listing["results"]] == ["backup script", "API login"]
    assert listing["count"] == 2
    assert {"id", "name", "prefix", "created_at", "last_used_at", "expires_at", "current"} == set(
        listing["results"][0]
    )

    assert client.delete(f"{TOKENS}{theirs.token.pk}/").status_code == 404
    assert client.delete(f"{TOKENS}99999999999999999999/").status_code == 404
    assert bearer(theirs.secret).get(ME).status_code == 200  # untouched

    assert client.delete(f"{TOKENS}{new['id']}/").status_code == 204
    assert bearer(new["token"]).get(ME).status_code == 401
    assert [t["name"] for t in client.get(TOKENS).json()["results"]] == ["API login"]


@pytest.mark.parametrize(
    "payload",
    [{"name": "x" * 81}, {"lifetime_days": 0}, {"lifetime_days": 10_000}, {"owner": 1}],
)
def test_creating_a_token_refuses_bad_input_and_creates_nothing(auth_api, user, payload):
    response = auth_api.post(TOKENS, payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert not ApiToken.objects.exists()


def test_token_endpoints_need_a_person():
    anonymous = APIClient()
    assert anonymous.get(TOKENS).status_code == 401
    assert anonymous.post(TOKENS, {}, format="json").status_code == 401
    assert anonymous.delete(f"{TOKENS}1/").status_code == 401
    assert anonymous.post(EVERYWHERE).status_code == 401


def test_log_out_everywhere_over_the_api_ends_tokens_and_sessions(client, user):
    one, two = login_token(user), login_token(user)
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200

    assert bearer(one).post(EVERYWHERE).status_code == 204

    assert bearer(one).get(ME).status_code == 401
    assert bearer(two).get(ME).status_code == 401
    assert client.get(reverse("profile")).status_code == 302  # the browser session ended too
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0


def test_password_change_revokes_every_token(client, user):
    secret = login_token(user)
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "fresh-password-4242",
            "new_password2": "fresh-password-4242",
        },
    )
    assert response.status_code == 302
    assert bearer(secret).get(ME).status_code == 401


def test_a_refused_password_change_keeps_the_tokens(client, user):
    secret = login_token(user)
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    )
    assert response.status_code == 200
    assert bearer(secret).get(ME).status_code == 200


def test_password_reset_revokes_every_token(client, user):
    secret = login_token(user)
    client.post(reverse("password_reset"), {"email": user.email})
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[-1].body)
    form_page = client.get(link.group(1), follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "after-reset-9876", "new_password2": "after-reset-9876"},
    )
    assert done.status_code == 302
    assert bearer(secret).get(ME).status_code == 401


def test_revoke_all_touches_only_that_person(user):
    other = UserFactory()
    api_token_create(user=user)
    kept = api_token_create(user=other)
    assert api_tokens_revoke_all(user=user) == 1
    assert bearer(kept.secret).get(ME).status_code == 200


# The page in account settings ------------------------------------------------------------


def test_tokens_page_creates_shows_the_secret_once_and_revokes(client, user):
    client.force_login(user)
    page = client.get(reverse("tokens"))
    assert page.status_code == 200
    assert b"You have no API tokens." in page.content

    created = client.post(reverse("tokens"), {"name": "home server"})
    assert created.status_code == 201
    assert created["Cache-Control"].startswith("max-age=0")
    secret = re.search(r'id="new-token-secret">(mac_[^<]+)<', created.content.decode()).group(1)
    assert bearer(secret).get(ME).status_code == 200
    again = client.get(reverse("tokens")).content.decode()
    assert secret not in again
    assert "home server" in again
    assert secret[:10] in again

    token = ApiToken.objects.get()
    revoked = client.post(reverse("token_revoke", args=[token.pk]), follow=True)
    assert b"Token revoked." in revoked.content
    assert bearer(secret).get(ME).status_code == 401


def test_tokens_page_refuses_another_persons_token_and_needs_login(client, user):
    theirs = api_token_create(user=UserFactory())
    assert client.get(reverse("tokens")).status_code == 302
    client.force_login(user)
    response = client.post(reverse("token_revoke", args=[theirs.token.pk]), follow=True)
    assert b"No such token." in response.content
    assert bearer(theirs.secret).get(ME).status_code == 200
    assert client.get(reverse("token_revoke", args=[theirs.token.pk])).status_code == 405


def test_tokens_page_is_in_japanese(client):
    client.force_login(UserFactory(preferred_language="ja"))
    html = client.get(reverse("tokens")).content.decode()
    assert "<h1>APIトークン</h1>" in html
    assert "どこでもログアウト" in html


def test_admin_never_shows_a_token(admin_client, user):
    issued = api_token_create(user=user, name="laptop")
    assert ApiToken not in admin.site._registry
    page = admin_client.get(reverse("admin:accounts_user_delete", args=[user.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"API token #{issued.token.pk}" in html
    for secret_part in (issued.secret, issued.token.digest, issued.token.prefix):
        assert secret_part not in html
