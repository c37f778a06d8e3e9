import pytest
from rest_framework.authtoken.models import Token

from accounts.models import User

pytestmark = pytest.mark.django_db

SIGNUP = "/api/v1/auth/signup/"
TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/me/"


def test_signup_returns_user_and_token(api):
    response = api.post(
        SIGNUP, {"email": "Grace@Example.org", "password": "cobol-compiler-1959"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "grace@example.org"
    assert Token.objects.get(user__email="grace@example.org").key == body["token"]


def test_signup_duplicate_email_is_409_with_error_shape(api, user):
    response = api.post(
        SIGNUP, {"email": user.email, "password": "cobol-compiler-1959"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"
    assert User.objects.count() == 1


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
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
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
    assert response.status_code in (401, 403)
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
