import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def signup_data(**overrides):
    data = {
        "email": "ada@example.org",
        "display_name": "Ada",
        "password": "lovelace-engine-1843",
        "password_confirm": "lovelace-engine-1843",
        "time_zone": "Europe/London",
    }
    data.update(overrides)
    return data


def test_signup_creates_account_logs_in_and_starts_onboarding(client):
    response = client.post(reverse("signup"), signup_data(), follow=True)
    assert response.status_code == 200
    assert [url for url, _ in response.redirect_chain] == [
        reverse("onboarding"),
        reverse("onboarding_question", args=[1]),
    ]
    assert b"Question 1 / 10" in response.content
    home = client.get(reverse("home"))
    assert b"Hello, Ada" in home.content
    user = User.objects.get()
    assert user.email == "ada@example.org"
    assert user.time_zone == "Europe/London"
    assert user.check_password("lovelace-engine-1843")


def test_signup_with_a_taken_email_answers_the_same_and_emails_the_owner(client, user):
    fresh = client.post(reverse("signup"), signup_data(email="new@example.org"))
    client.logout()
    client.cookies.clear()
    taken = client.post(reverse("signup"), signup_data(email=user.email.upper()))

    for response in (fresh, taken):
        assert response.status_code == 302
        assert response["Location"] == reverse("onboarding")
    assert sorted(taken.cookies) == sorted(fresh.cookies) == ["csrftoken", "messages", "sessionid"]
    assert taken.cookies["messages"].value == fresh.cookies["messages"].value  # same welcome
    assert User.objects.count() == 2
    user.refresh_from_db()
    assert user.check_password("correct-horse-battery-9")
    assert [m.to for m in mail.outbox] == [["new@example.org"], [user.email]]
    assert "tried to create a Macaron account" in mail.outbox[1].body
    # The new account was usable at once; the taken address gave no access to its account.
    assert client.get(reverse("profile")).status_code == 302


def test_signup_notice_is_in_the_owners_language(client, user):
    user.preferred_language = "ja"
    user.save(update_fields=["preferred_language"])
    client.post(reverse("signup"), signup_data(email=user.email))
    assert mail.outbox[0].subject == "あなたのメールアドレスで登録が試みられました"


def test_signup_refuses_weak_password_inline(client):
    response = client.post(reverse("signup"), signup_data(password="123", password_confirm="123"))
    assert response.status_code == 400
    assert b"This password is too short" in response.content
    assert b'class="field has-error"' in response.content
    assert not User.objects.exists()


def test_signup_refuses_mismatched_passwords(client):
    response = client.post(reverse("signup"), signup_data(password_confirm="something-else-77"))
    assert response.status_code == 400
    assert b"The two passwords differ." in response.content
    assert not User.objects.exists()


def test_login_with_email_and_logout(client, user, password):
    response = client.post(reverse("login"), {"username": user.email, "password": password})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("profile")).status_code == 302


def test_wrong_login_shows_clear_error(client, user):
    response = client.post(reverse("login"), {"username": user.email, "password": "nope-nope"})
    assert response.status_code == 200
    assert b"That e-mail and password do not match an account." in response.content


def test_login_is_locked_after_repeated_failures(client, user, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": user.email, "password": "wrong-guess"})
    response = client.post(reverse("login"), {"username": user.email, "password": password})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert client.get(reverse("profile")).status_code == 302


def test_home_is_the_landing_page_and_the_rest_requires_login(client):
    assert b"landing-hero" in client.get(reverse("home")).content
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_profile_update_and_invalid_time_zone(client, user):
    client.force_login(user)
    ok = client.post(
        reverse("profile"),
        {"display_name": "New Name", "time_zone": "Asia/Tokyo", "preferred_language": "ja"},
    )
    assert ok.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.time_zone, user.preferred_language) == (
        "New Name",
        "Asia/Tokyo",
        "ja",
    )
    bad = client.post(
        reverse("profile"),
        {"display_name": "x", "time_zone": "Mars/Olympus", "preferred_language": "ja"},
    )
    assert bad.status_code == 400
    assert b'id="id_time_zone-error"' in bad.content
    user.refresh_from_db()
    assert user.time_zone == "Asia/Tokyo"


def test_password_change(client, user, password):
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": password,
            "new_password1": "fresh-password-4242",
            "new_password2": "fresh-password-4242",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("fresh-password-4242")


def test_password_reset_by_email(client, user):
    response = client.post(reverse("password_reset"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    form_page = client.get(link.group(1), follow=True)
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "after-reset-9876", "new_password2": "after-reset-9876"}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("after-reset-9876")


def test_static_assets_are_served_by_the_app_and_no_cdn(client, user):
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    assets = re.findall(r'(?:href|src)="([^"]+\.(?:css|js|svg))"', html)
    assert assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
    docs = client.get(reverse("api-docs")).content.decode()
    external = re.findall(r'(?:href|src)="(https?://[^"]+)"', docs)
    assert external == []
