"""The API's JSON parser refuses deep or huge bodies with a clear 4xx (they used to be 500s)."""

import json

import pytest

from macaron.parsers import json_depth_exceeds
from memory.models import Memory

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/v1/auth/signup/"])
def test_100k_deep_json_to_an_open_endpoint_is_400(api, url):
    response = api.post(url, data=DEEP, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "parse_error"
    assert "nested deeper than 32 levels" in error["message"]


def test_100k_deep_json_to_a_memory_endpoint_is_400_and_creates_nothing(auth_api):
    body = '{"text": ' + "{" * 50_000 + '"a": 1' + "}" * 50_000 + "}"
    response = auth_api.post("/api/v1/memories/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert not Memory.objects.exists()


def test_a_body_over_the_size_limit_is_413(auth_api, settings):
    settings.API_JSON_MAX_BYTES = 1_000
    body = json.dumps({"text": "x" * 2_000})
    response = auth_api.post("/api/v1/memories/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert not Memory.objects.exists()


def test_ordinary_json_still_parses(auth_api):
    response = auth_api.post(
        "/api/v1/memories/",
        data=json.dumps({"text": "I like [brackets] and {braces} " + "[" * 40}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["text"].endswith("[" * 40)


def test_depth_scan_counts_nesting_not_brackets_in_strings():
    assert not json_depth_exceeds(b'{"a": [[1]]}', 3)
    assert json_depth_exceeds(b'{"a": [[[1]]]}', 3)
    assert not json_depth_exceeds(json.dumps({"s": "[[[[[[" * 10}).encode(), 3)
    assert not json_depth_exceeds(json.dumps({"s": '\\"[[[[[[' * 10}).encode(), 3)
    assert not json_depth_exceeds(b"[[[]],[[]],[[]],[[]]]", 3)  # wide, not deep
    assert json_depth_exceeds(b"[" * 100_000, 32)


def test_depth_scan_is_linear_on_hostile_bodies():
    import time

    hostile = [
        b"[" * 40 + b'\\"' * 500_000,  # quotes that never close a string
        b"[" * 40 + b'"' * 1_000_000,
        b'"' + b"[\\" * 300_000,  # one unterminated string
        b"[" * 1_000_000,
    ]
    started = time.monotonic()
    results = [json_depth_exceeds(body, 32) for body in hostile]
    assert time.monotonic() - started < 3  # quadratic scans take minutes on these
    assert results == [True, True, False, True]


def test_a_hostile_body_to_the_api_is_a_quick_400(api):
    body = "[" * 40 + '\\"' * 200_000
    response = api.post("/api/v1/auth/token/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_a_form_body_with_too_many_fields_is_a_json_400(auth_api):
    """Django refuses more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields; the API says so in JSON
    (it used to be Django's HTML 400 page, which schemathesis found)."""
    body = "&".join(f"ids={n}" for n in range(1500))
    response = auth_api.post(
        "/api/v1/memories/forget/", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "too_many_fields"


def test_the_schema_documents_the_error_answers(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    listing = schema["paths"]["/api/v1/memories/"]["get"]["responses"]
    assert set(listing) == {"200", "400", "401", "403", "404"}
    page = listing["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page == "#/components/schemas/PaginatedMemoryOutputList"
    assert schema["components"]["schemas"]["ErrorOutput"]["properties"]["error"]
    assert "429" in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "401" not in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
