import pytest
from django.core import mail

from accounts.models import ApiToken, User
from accounts.services import token_digest

pytestmark = pytest.mark.django_db

SIGNUP = "/api/v1/auth/signup/"
TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/me/"


def test_signup_creates_an_account_usable_at_once(api):
    response = api.post(
        SIGNUP, {"email": "Grace@Example.org", "password": "cobol-compiler-1959"}, format="json"
    )
    assert response.status_code == 202
    assert "token" not in response.json()
    user = User.objects.get()
    assert user.email == "grace@example.org"
    assert [m.to for m in mail.outbox] == [["grace@example.org"]]
    assert mail.outbox[0].subject == "Your Macaron account is ready"
    login = api.post(
        TOKEN, {"email": "grace@example.org", "password": "cobol-compiler-1959"}, format="json"
    )
    assert login.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['token']}")
    assert api.get(ME).json()["email"] == "grace@example.org"


def test_signup_with_a_taken_email_answers_the_same_and_emails_the_owner(api, user):
    fresh = api.post(
        SIGNUP, {"email": "new@example.org", "password": "cobol-compiler-1959"}, format="json"
    )
    taken = api.post(
        SIGNUP, {"email": user.email.upper(), "password": "cobol-compiler-1959"}, format="json"
    )
    assert (taken.status_code, taken.json()) == (fresh.status_code, fresh.json())
    assert taken.status_code == 202
    assert User.objects.count() == 2
    user.refresh_from_db()
    assert user.check_password("correct-horse-battery-9")  # the existing account is untouched
    notice = mail.outbox[-1]
    assert notice.to == [user.email]
    assert notice.subject == "Someone tried to sign up with your address"
    assert "nothing was created" in notice.body


def test_signup_weak_password_is_400(api):
    response = api.post(SIGNUP, {"email": "w@example.org", "password": "password"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "weak_password"
    assert "too common" in error["message"]
    assert not User.objects.exists()


def test_malformed_json_is_400_with_error_shape(api):
    response = api.post(SIGNUP, data='{"email": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_unknown_fields_are_refused(api):
    response = api.post(
        SIGNUP,
        {"email": "u@example.org", "password": "cobol-compiler-1959", "is_staff": True},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"is_staff": ["Unknown field."]}
    assert not User.objects.exists()


def test_token_login_and_me(api, user, password):
    response = api.post(TOKEN, {"email": user.email, "password": password}, format="json")
    assert response.status_code == 200
    body = response.json()
    secret = body["token"]
    token = ApiToken.objects.get(user=user)
    assert body["id"] == token.pk
    assert body["name"] == "API login"
    assert token.digest == token_digest(secret)  # only the digest is stored
    assert secret not in str(ApiToken.objects.filter(user=user).values().get())
    for scheme in ("Bearer", "Token"):
        api.credentials(HTTP_AUTHORIZATION=f"{scheme} {secret}")
        me = api.get(ME)
        assert me.status_code == 200
        assert me.json()["email"] == user.email


def test_wrong_token_login_is_400_and_lockout_is_429(api, user, password, settings):
    wrong = api.post(TOKEN, {"email": user.email, "password": "bad-guess"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "invalid_login"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post(TOKEN, {"email": user.email, "password": "bad-guess"}, format="json")
    locked = api.post(TOKEN, {"email": user.email, "password": password}, format="json")
    assert locked.status_code == 429
    assert "token" not in locked.json()


def test_me_requires_authentication(api):
    response = api.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_profile_patch_and_validation(auth_api, user):
    ok = auth_api.patch(ME, {"time_zone": "Asia/Seoul", "display_name": " Kim "}, format="json")
    assert ok.status_code == 200
    assert ok.json()["time_zone"] == "Asia/Seoul"
    assert ok.json()["display_name"] == "Kim"
    bad = auth_api.patch(ME, {"time_zone": "Nowhere/City"}, format="json")
    assert bad.status_code == 400
    assert "time_zone" in bad.json()["error"]["fields"]
    user.refresh_from_db()
    assert user.time_zone == "Asia/Seoul"


def test_unknown_api_url_is_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_openapi_schema_and_docs(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    body = schema.json()
    assert body["openapi"].startswith("3.")
    assert "/api/v1/me/" in body["paths"]
    assert "/api/v1/auth/token/" in body["paths"]
    assert client.get("/api/docs/").status_code == 200
