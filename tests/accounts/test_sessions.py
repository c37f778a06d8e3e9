"""Sessions: a new key at login and at a password change (which ends the other sessions), and
"log out everywhere" from account settings ends them all."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken
from accounts.services import api_token_create
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def session_key(client: Client) -> str:
    return client.cookies["sessionid"].value


def anonymous_session(client: Client) -> str:
    session = client.session
    session["seen"] = True
    session.save()
    client.cookies["sessionid"] = session.session_key
    return session.session_key


def test_login_cycles_the_session_key(client, user):
    before = anonymous_session(client)
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    after = session_key(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()  # a fixated key is worthless
    assert client.get(reverse("home")).status_code == 200


def test_signup_cycles_the_session_key(client):
    before = anonymous_session(client)
    data = {
        "email": "new@example.org",
        "display_name": "New",
        "password": "lovelace-engine-1843",
        "password_confirm": "lovelace-engine-1843",
        "time_zone": "UTC",
    }
    assert client.post(reverse("signup"), data).status_code == 302
    assert session_key(client) != before
    assert not Session.objects.filter(session_key=before).exists()


def test_password_change_rotates_this_session_and_ends_the_others(user):
    here, elsewhere = Client(), Client()
    for browser in (here, elsewhere):
        browser.post(reverse("login"), {"username": user.email, "password": PASSWORD})
        assert browser.get(reverse("home")).status_code == 200
    before = session_key(here)

    response = here.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "fresh-password-4242",
            "new_password2": "fresh-password-4242",
        },
    )

    assert response.status_code == 302
    assert session_key(here) != before
    assert not Session.objects.filter(session_key=before).exists()
    assert here.get(reverse("home")).status_code == 200  # still logged in, under a new key
    assert elsewhere.get(reverse("profile")).status_code == 302  # the other session ended


def test_log_out_everywhere_page_ends_every_session_and_token(user):
    here, elsewhere = Client(), Client()
    for browser in (here, elsewhere):
        browser.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    issued = api_token_create(user=user)
    assert b"Log out everywhere" in here.get(reverse("tokens")).content

    response = here.post(reverse("logout_everywhere"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("login")
    assert b"You are logged out on every device" in response.content
    assert here.get(reverse("profile")).status_code == 302
    assert elsewhere.get(reverse("profile")).status_code == 302
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is not None
    # Logging in again works and starts a fresh session.
    here.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert here.get(reverse("home")).status_code == 200
    assert elsewhere.get(reverse("profile")).status_code == 302


def test_log_out_everywhere_needs_a_post_and_a_login(client, user):
    assert client.post(reverse("logout_everywhere")).status_code == 302  # to the login page
    client.force_login(user)
    assert client.get(reverse("logout_everywhere")).status_code == 405
    assert client.get(reverse("home")).status_code == 200


def test_api_token_login_creates_no_session(api, user):
    response = api.post(
        "/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert not Session.objects.exists()


def test_passwords_are_hashed_with_argon2_outside_tests():
    from macaron.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()  # argon2-cffi is installed (tests themselves use MD5)
    encoded = hasher.encode("correct-horse-battery-9", hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
    assert hasher.verify("correct-horse-battery-9", encoded)
    assert not hasher.verify("wrong", encoded)


def test_log_out_everywhere_works_again_after_a_new_login(user):
    from accounts.services import user_sign_out_everywhere

    browser = Client()
    for _ in range(2):
        browser.post(reverse("login"), {"username": user.email, "password": PASSWORD})
        assert browser.get(reverse("home")).status_code == 200
        user_sign_out_everywhere(user=user)
        assert browser.get(reverse("profile")).status_code == 302
    user.refresh_from_db()
    assert user.session_epoch == 2
