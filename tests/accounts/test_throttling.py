"""Limits key on the real client address: X-Forwarded-For counts only behind trusted proxies."""

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory
from django.urls import reverse

from macaron.throttling import client_ip
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = "/api/v1/auth/signup/"
TOKEN = "/api/v1/auth/token/"
AUTH_RATE = int(django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"].split("/")[0])


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.2.3.4", "10.0.0.1"),  # no trusted proxy: the header is anyone's to forge
        (0, None, "10.0.0.1"),
        (1, "1.2.3.4", "1.2.3.4"),
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the client forged the left entry
        (2, "6.6.6.6, 1.2.3.4, 172.16.0.9", "1.2.3.4"),
        (2, "1.2.3.4", "1.2.3.4"),  # fewer entries than proxies: the leftmost
        (1, "not-an-address", "10.0.0.1"),
        (1, " , ", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request_from("10.0.0.1", forwarded)) == expected


def signup_attempt(api, forwarded: str):
    return api.post(SIGNUP, {}, format="json", HTTP_X_FORWARDED_FOR=forwarded)


def test_a_forged_forwarded_for_does_not_dodge_the_api_throttle(api, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(AUTH_RATE):
        assert signup_attempt(api, f"203.0.113.{n}").status_code == 400
    throttled = signup_attempt(api, "198.51.100.7")
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"


def test_behind_a_trusted_proxy_each_client_has_its_own_throttle(api, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(AUTH_RATE):
        assert signup_attempt(api, "203.0.113.1").status_code == 400
    assert signup_attempt(api, "203.0.113.1").status_code == 429
    assert signup_attempt(api, "203.0.113.2").status_code == 400


def failed_logins(client, user, forwarded: list[str]) -> None:
    for address in forwarded:  # the last one is already answered with the lockout page
        response = client.post(
            reverse("login"),
            {"username": user.email, "password": "wrong-guess"},
            HTTP_X_FORWARDED_FOR=address,
        )
        assert response.status_code in (200, 429)


def test_a_forged_forwarded_for_does_not_dodge_the_login_lockout(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    failed_logins(client, user, [f"203.0.113.{n}" for n in range(settings.AXES_FAILURE_LIMIT)])
    response = client.post(
        reverse("login"),
        {"username": user.email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_lockout_is_per_client(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    failed_logins(client, user, ["203.0.113.1"] * settings.AXES_FAILURE_LIMIT)
    locked = client.post(
        reverse("login"),
        {"username": user.email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.1",
    )
    assert locked.status_code == 429
    other = client.post(
        reverse("login"),
        {"username": user.email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.2",
    )
    assert other.status_code == 302
