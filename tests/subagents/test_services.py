import base64
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from macaron.errors import Conflict, DomainError, NotFound
from subagents.models import Entry, Installation
from subagents.selectors import (
    entries_for_installation,
    installation_spec,
    installation_views_data,
    installations_for_user,
)
from subagents.services import (
    entry_create,
    entry_delete,
    entry_update,
    installation_create,
    installation_entries_delete,
    installation_settings_update,
    installation_uninstall,
)
from subagents.spec import SpecError
from subagents.usage import usage_listener_register, usage_listener_unregister
from subagents.values import EntryError
from tests.factories import UserFactory
from tests.subagents.images import image_bytes, picture
from tests.subagents.specs import every_type, hydration

pytestmark = pytest.mark.django_db


def test_install_stores_the_spec_encrypted_and_metadata_in_clear(user):
    installation = installation_create(user=user, spec=hydration(), source="catalogue:hydration")
    row = Installation.objects.get(pk=installation.pk)
    assert b"Hydration" not in bytes(row.spec_ct)
    assert row.spec_version == 1 and row.source == "catalogue:hydration"
    assert installation_spec(row)["name"] == "Hydration log"
    assert [item.name for item in installations_for_user(user=user)] == ["Hydration log"]


def test_a_double_submit_installs_once(user):
    first = installation_create(user=user, spec=hydration(), source="builder", client_token="t1")
    second = installation_create(user=user, spec=hydration(), source="builder", client_token="t1")
    assert first.pk == second.pk
    assert Installation.objects.filter(user=user).count() == 1


def test_an_invalid_spec_or_source_installs_nothing(user):
    bad = hydration(color="blue")
    with pytest.raises(SpecError) as caught:
        installation_create(user=user, spec=bad, source="builder")
    assert "$.color" in caught.value.message
    with pytest.raises(DomainError) as caught:
        installation_create(user=user, spec=hydration(), source="somewhere")
    assert "source" in caught.value.fields
    assert Installation.objects.count() == 0


def test_entries_are_encrypted_and_checked_per_field(user):
    installation = installation_create(user=user, spec=hydration(), source="builder")
    entry = entry_create(user=user, installation_id=installation.id, values={"amount": "3"})
    assert b"3" not in bytes(entry.values_ct)[:1]  # version byte, then ciphertext
    page = entries_for_installation(user=user, installation_id=installation.id)
    assert page.items[0].values == {"amount": 3}
    with pytest.raises(EntryError) as caught:
        entry_create(
            user=user,
            installation_id=installation.id,
            values={"amount": 30, "drink": "juice", "colour": "x"},
        )
    assert caught.value.fields == {
        "colour": ["This tool has no such field."],
        "amount": ["Enter a value between 1 and 20."],
        "drink": ["Choose one of: water, tea."],
    }
    assert Entry.objects.count() == 1


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("count", "two", "Enter a number."),
        ("count", 2.5, "Enter a whole number."),
        ("count", 11, "Enter a value between 1 and 10."),
        ("amount", -1, "Enter a value between 0 and 5000."),
        ("tags", ["am", "night"], "Unknown choice 'night'; choose from: am, pm, gym."),
        ("day", "2026-02-30", "Enter a date as YYYY-MM-DD."),
        ("at", "25:00", "Enter a time as HH:MM."),
        ("when", "yesterday", "Enter a date and time as YYYY-MM-DDTHH:MM."),
        ("took", -5, "A duration cannot be negative."),
        ("mood", 6, "Enter a rating from 1 to 5."),
        ("cold", "maybe", "Enter yes or no."),
        ("pic", "data:image/png;base64,aGVsbG8=", "Upload a JPEG, PNG or WebP image."),
        ("note", "x" * 2001, "Keep it under 2000 characters."),
    ],
)
def test_each_field_type_refuses_bad_values(user, key, value, message):
    installation = installation_create(user=user, spec=every_type(), source="builder")
    values = {"count": 1, key: value}
    with pytest.raises(EntryError) as caught:
        entry_create(user=user, installation_id=installation.id, values=values)
    assert caught.value.fields == {key: [message]}
    assert Entry.objects.count() == 0


def test_every_field_type_is_stored_canonically(user):
    installation = installation_create(user=user, spec=every_type(), source="builder")
    png = "data:image/png;base64," + base64.b64encode(image_bytes(fmt="PNG")).decode()
    entry = entry_create(
        user=user,
        installation_id=installation.id,
        values={
            "amount": "250,5",
            "count": "2",
            "note": " hi ",
            "drink": "tea",
            "tags": ["pm", "am"],
            "day": "2026-11-01",
            "at": "07:30:00",
            "when": "2026-11-01T07:30",
            "took": "1:30",
            "mood": "4",
            "cold": "on",
            "pic": png,
        },
    )
    page = entries_for_installation(user=user, installation_id=installation.id)
    assert page.items[0].id == entry.id
    values = page.items[0].values
    # The photo is re-encoded (metadata stripped), so its bytes differ; its pixels do not.
    stored = values.pop("pic")
    assert stored.startswith("data:image/png;base64,")
    decoded = Image.open(io.BytesIO(base64.b64decode(stored.split(",", 1)[1])))
    assert decoded.tobytes() == picture().tobytes()
    assert values == {
        "amount": 250.5,
        "count": 2,
        "note": "hi",
        "drink": "tea",
        "tags": ["am", "pm"],
        "day": "2026-11-01",
        "at": "07:30",
        "when": "2026-11-01T07:30+00:00",
        "took": 90.0,
        "mood": 4,
        "cold": True,
    }
    with pytest.raises(EntryError) as caught:
        entry_create(user=user, installation_id=installation.id, values={"note": "x"})
    assert caught.value.fields == {"count": ["This field is required."]}


def test_views_data_in_the_person_time_zone(user):
    user.time_zone = "Asia/Tokyo"
    user.save()
    installation = installation_create(
        user=user, spec=hydration(), source="builder", now=datetime(2026, 11, 20, tzinfo=UTC)
    )
    now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # 12:00 on 30 Nov in Tokyo
    # 23:30 UTC on 29 Nov is 08:30 on 30 Nov in Tokyo: today for the person.
    for moment, amount in [
        (datetime(2026, 11, 29, 23, 30, tzinfo=UTC), 5),
        (datetime(2026, 11, 29, 1, 0, tzinfo=UTC), 8),
        (datetime(2026, 11, 28, 1, 0, tzinfo=UTC), 9),
        (datetime(2026, 11, 26, 1, 0, tzinfo=UTC), 2),
    ]:
        entry_create(
            user=user,
            installation_id=installation.id,
            values={"amount": amount, "drink": "tea"},
            occurred_at=moment,
            now=now,
        )
    data = installation_views_data(user=user, installation_id=installation.id, now=now)
    views = {view["type"]: view["data"] for view in data["views"]}
    ring = views["progress"]["goals"][0]
    assert (ring["value"], ring["target"], ring["ratio"], ring["met"]) == (5.0, 8, 0.625, False)
    assert views["bar"]["labels"][-3:] == ["2026-11-28", "2026-11-29", "2026-11-30"]
    assert views["bar"]["values"][-5:] == [2.0, 0.0, 9.0, 8.0, 5.0]
    assert views["bar"]["target"] == 8
    # 28 and 29 met the goal, today is not over: the streak is 2, best 2.
    assert (views["streak"]["current"], views["streak"]["best"]) == (2, 2)
    assert views["total"]["all_time"] == 24.0 and views["total"]["current"] == 5.0
    assert views["pie"] == {
        "field": "drink",
        "label": "Drink",
        "measure": "count",
        "labels": ["water", "tea"],
        "values": [0.0, 4.0],
    }
    heat = {day["date"]: day["value"] for day in views["heatmap"]["days"]}
    assert heat["2026-11-30"] == 5.0 and heat["2026-11-27"] == 0.0
    calendar = views["calendar"]["days"]
    assert calendar[0]["date"] == "2026-11-01" and calendar[-1]["date"] == "2026-11-30"

    installation_settings_update(user=user, installation_id=installation.id, goals={"0": 4})
    data = installation_views_data(user=user, installation_id=installation.id, now=now)
    ring = data["views"][0]["data"]["goals"][0]
    assert (ring["target"], ring["met"], ring["ratio"]) == (4.0, True, 1.0)


def test_settings_are_checked_before_anything_changes(user):
    installation = installation_create(user=user, spec=hydration(), source="builder")
    with pytest.raises(DomainError) as caught:
        installation_settings_update(
            user=user, installation_id=installation.id, goals={"0": 5}, reminders={"0": ["9am"]}
        )
    assert "reminders" in caught.value.fields
    installation.refresh_from_db()
    assert installation.settings == {}
    installation_settings_update(
        user=user,
        installation_id=installation.id,
        reminders={"0": ["21:00", "08:00"]},
        paused=True,
    )
    installation.refresh_from_db()
    assert installation.settings == {"reminders": {"0": ["08:00", "21:00"]}}
    assert installation.paused is True


def test_uninstall_keeps_entries_until_the_person_deletes_them(user):
    installation = installation_create(user=user, spec=hydration(), source="builder")
    entry_create(user=user, installation_id=installation.id, values={"amount": 1})
    with pytest.raises(Conflict):
        installation_entries_delete(user=user, installation_id=installation.id)
    installation_uninstall(user=user, installation_id=installation.id)
    assert installations_for_user(user=user) == []
    assert Entry.objects.filter(installation=installation).count() == 1
    with pytest.raises(Conflict):
        entry_create(user=user, installation_id=installation.id, values={"amount": 1})
    assert installation_entries_delete(user=user, installation_id=installation.id) == 1
    assert Entry.objects.count() == 0 and Installation.objects.count() == 0


def test_another_person_cannot_touch_anything(user):
    other = UserFactory()
    installation = installation_create(user=user, spec=hydration(), source="builder")
    entry = entry_create(user=user, installation_id=installation.id, values={"amount": 1})
    for call in (
        lambda: entry_create(user=other, installation_id=installation.id, values={"amount": 1}),
        lambda: entry_update(user=other, entry_id=entry.id, values={"amount": 2}),
        lambda: entry_delete(user=other, entry_id=entry.id),
        lambda: installation_uninstall(user=other, installation_id=installation.id),
        lambda: installation_settings_update(
            user=other, installation_id=installation.id, paused=True
        ),
        lambda: installation_views_data(user=other, installation_id=installation.id),
    ):
        with pytest.raises(NotFound):
            call()
    assert entries_for_installation(user=user, installation_id=installation.id).items[0].values == {
        "amount": 1
    }


def test_entry_update_and_delete(user):
    installation = installation_create(user=user, spec=hydration(), source="builder")
    entry = entry_create(user=user, installation_id=installation.id, values={"amount": 1})
    with pytest.raises(EntryError):
        entry_update(user=user, entry_id=entry.id, values={"amount": 0})
    entry_update(user=user, entry_id=entry.id, values={"amount": 4}, occurred_at="2026-11-01T08:00")
    item = entries_for_installation(user=user, installation_id=installation.id).items[0]
    assert item.values == {"amount": 4}
    assert item.occurred_at.isoformat() == "2026-11-01T08:00:00+00:00"
    entry_delete(user=user, entry_id=entry.id)
    assert Entry.objects.count() == 0


def test_an_entry_double_submit_and_a_future_time_are_handled(user):
    installation = installation_create(user=user, spec=hydration(), source="builder")
    a = entry_create(
        user=user, installation_id=installation.id, values={"amount": 1}, client_token="x"
    )
    b = entry_create(
        user=user, installation_id=installation.id, values={"amount": 1}, client_token="x"
    )
    assert a.pk == b.pk and Entry.objects.count() == 1
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    with pytest.raises(EntryError) as caught:
        entry_create(
            user=user, installation_id=installation.id, values={"amount": 1}, occurred_at=future
        )
    assert "occurred_at" in caught.value.fields
    assert Entry.objects.count() == 1


def test_usage_is_emitted_to_registered_listeners(user):
    seen = []

    def listener(*, installation, kind, count):
        seen.append((installation.id, kind, count))

    usage_listener_register(listener)
    try:
        installation = installation_create(user=user, spec=hydration(), source="builder")
        entry_create(user=user, installation_id=installation.id, values={"amount": 1})
    finally:
        usage_listener_unregister(listener)
    assert seen == [(installation.id, "entry", 1)]
    assert json.dumps(seen)  # ids and counts only
