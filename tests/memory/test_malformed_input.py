"""Malformed inputs that used to answer 500 on the memory API: each is now a clear 400."""

import pytest

from memory.models import Memory
from memory.services import memory_create

pytestmark = pytest.mark.django_db

LIST = "/api/v1/memories/"


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59-23:59",  # in UTC this is past the year 9999
        "0001-01-01T00:00:00+23:59",  # in UTC this is before the year 1
        "9999-12-31",  # the end of that day in the person's zone (west of UTC) is year 10000
    ],
)
@pytest.mark.parametrize("field", ["since", "until"])
def test_list_with_an_unrepresentable_moment_is_400(auth_api, user, field, moment):
    user.time_zone = "America/New_York"
    user.save(update_fields=["time_zone"])
    memory_create(user=user, text="I am allergic to peanuts")

    response = auth_api.get(LIST, {field: moment})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]


def test_list_with_an_impossible_day_is_400(auth_api):
    response = auth_api.get(LIST, {"since": "2024-02-30"})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["since"]


@pytest.mark.parametrize(
    "expires_at",
    ["2024-02-30", "2024-13-01T00:00:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00+23:59"],
)
def test_policy_with_an_impossible_expiry_is_400_and_changes_nothing(auth_api, user, expires_at):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    before = Memory.objects.filter(pk=memory.pk).values().get()

    response = auth_api.patch(
        f"{LIST}{memory.id}/", {"policy": {"expires_at": expires_at}}, format="json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == ["policy"]
    assert "expires_at" in error["fields"]["policy"][0]
    assert Memory.objects.filter(pk=memory.pk).values().get() == before


def test_policy_with_a_valid_day_still_means_the_end_of_it(auth_api, user):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    response = auth_api.patch(
        f"{LIST}{memory.id}/", {"policy": {"expires_at": "2030-02-28"}}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["policy"]["expires_at"].startswith("2030-02-28T23:59:59")
