import copy

import pytest
from django.urls import reverse

from memory.services import memory_create
from tests.subagents.spec.test_validation import HYDRATION

pytestmark = pytest.mark.django_db
BUILD = reverse("v1:subagent-build")
REVISE = reverse("v1:subagent-revise")


def test_urls_are_under_api_v1_subagents():
    assert BUILD == "/api/v1/subagents/build"
    assert REVISE == "/api/v1/subagents/revise"


@pytest.mark.parametrize("url", [BUILD, REVISE])
def test_anonymous_people_are_refused(api, url):
    response = api.post(url, {"request": "track my water"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"not_authenticated", "authentication_failed"}


def test_build_returns_the_spec_its_source_and_the_diff(auth_api):
    response = auth_api.post(
        BUILD, {"request": "8 glasses of water a day, remind me at 9am and 9pm"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "catalogue:hydration"
    assert body["spec"]["reminders"][0]["schedule"]["times"] == ["09:00", "21:00"]
    assert any(change["path"] == "reminders[0]" for change in body["diff"])
    assert body["language"] == "en"


def test_build_uses_only_the_callers_memories(auth_api, user, django_user_model):
    other = django_user_model.objects.create_user(email="someone@example.org", password="x" * 12)
    memory_create(user=other, text="I'm allergic to peanuts")
    body = auth_api.post(BUILD, {"request": "plan my meals"}, format="json").json()
    assert "peanut" not in body["spec"]["persona"] and body["personalised"] == []
    memory_create(user=user, text="I'm allergic to peanuts")
    body = auth_api.post(BUILD, {"request": "plan my meals"}, format="json").json()
    assert "peanuts" in body["spec"]["persona"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"request": "make a 3D racing game"}, "not_a_lifestyle_tool"),
        ({"request": ""}, "empty_request"),
        ({"request": "x" * 1001}, "invalid"),
        ({}, "invalid"),
        ({"request": "water", "language": "fr"}, "invalid"),
        ({"request": "water", "colour": "red"}, "invalid"),
    ],
)
def test_bad_build_requests_are_400_with_a_clear_message(auth_api, payload, code):
    response = auth_api.post(BUILD, payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


def test_revise_returns_the_new_spec_and_the_changes(auth_api):
    response = auth_api.post(REVISE, {"spec": HYDRATION, "instruction": "use ml"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["spec"]["fields"][0]["unit"] == "ml"
    assert "Glasses unit: glass → ml" in [change["text"] for change in body["changes"]]


def test_bad_revisions_are_400_with_the_json_path(auth_api):
    broken = copy.deepcopy(HYDRATION)
    broken["color"] = "blue"
    response = auth_api.post(REVISE, {"spec": broken, "instruction": "use ml"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_spec"
    assert response.json()["error"]["message"].startswith("Invalid sub-agent spec at $.color")
    unclear = auth_api.post(REVISE, {"spec": HYDRATION, "instruction": "blah"}, format="json")
    assert unclear.status_code == 400 and unclear.json()["error"]["code"] == "revision_unclear"
    not_object = auth_api.post(REVISE, {"spec": [1], "instruction": "use ml"}, format="json")
    assert not_object.status_code == 400


def test_the_builder_is_throttled_per_person(auth_api, settings, api, django_user_model):
    from django.core.cache import cache

    cache.clear()
    settings.SUBAGENT_BUILD_THROTTLE_RATE = "2/min"
    for _ in range(2):
        assert (
            auth_api.post(
                REVISE, {"spec": HYDRATION, "instruction": "use ml"}, format="json"
            ).status_code
            == 200
        )
    third = auth_api.post(REVISE, {"spec": HYDRATION, "instruction": "use ml"}, format="json")
    assert third.status_code == 429
    other = django_user_model.objects.create_user(email="second@example.org", password="x" * 12)
    api.force_authenticate(other)
    assert (
        api.post(REVISE, {"spec": HYDRATION, "instruction": "use ml"}, format="json").status_code
        == 200
    )
    cache.clear()
