"""Upgrading an installed tool to a newer spec keeps every entry (renames followed, units
converted, removed fields archived) and the rollback brings them back as they were."""

import copy
import json

import pytest

from macaron.errors import Conflict, NotFound
from macaron.vault import cipher_for
from subagents.models import Entry, Installation
from subagents.selectors import entries_for_installation, installation_spec
from subagents.services import (
    entry_create,
    installation_create,
    installation_rollback,
    installation_upgrade,
)
from subagents.spec import SpecError
from subagents.upgrade import ARCHIVE, migration_plan, unit_factor, values_migrate
from tests.factories import UserFactory
from tests.subagents.specs import hydration

pytestmark = pytest.mark.django_db


def old_spec() -> dict:
    spec = hydration()
    spec.pop("translations")
    spec["fields"].append({"key": "walk", "label": "Walk", "type": "number", "unit": "km"})
    spec["fields"].append({"key": "sleep", "label": "Sleep", "type": "number", "unit": "min"})
    return spec


def new_spec() -> dict:
    spec = copy.deepcopy(old_spec())
    fields = {item["key"]: item for item in spec["fields"]}
    fields["amount"]["key"] = "glasses"  # renamed: same type and label
    fields["walk"]["unit"] = "mi"  # known conversion
    fields["sleep"]["unit"] = "naps"  # unknown conversion: archived
    spec["fields"] = [item for item in spec["fields"] if item["key"] != "note"]  # removed
    spec["fields"].append({"key": "mood", "label": "Mood", "type": "rating"})
    spec["goals"][0]["field"] = "glasses"
    for view in spec["views"]:
        if view.get("field") == "amount":
            view["field"] = "glasses"
    spec["memory"]["writes"][0]["template"] = "drank {glasses} glasses of water"
    return spec


def stored(entry_id: int, user) -> dict:
    return json.loads(cipher_for(user.id).decrypt(Entry.objects.get(pk=entry_id).values_ct))


def test_units_convert_both_ways_and_unknown_ones_are_none():
    assert unit_factor("ml", "l") == 0.001
    assert unit_factor("l", "ml") == pytest.approx(1000)
    assert unit_factor("kg", "lb") == pytest.approx(2.2046226218)
    assert unit_factor("mi", "km") == pytest.approx(1.609344, rel=1e-6)
    assert unit_factor("h", "min") == pytest.approx(60)
    assert unit_factor("glass", "glass") == 1.0
    assert unit_factor("min", "naps") is None


def test_the_plan_names_each_field_fate():
    plan = migration_plan(old_spec(), new_spec())
    assert plan.moves["amount"] == ("glasses", 1.0)
    assert plan.moves["walk"][0] == "walk"
    assert plan.moves["walk"][1] == pytest.approx(0.6213711922)
    assert plan.archived == {"note": "removed", "sleep": "unit min → naps"}
    assert values_migrate({"walk": 10, "note": "x"}, old_spec(), new_spec()) == {
        "walk": 6.213712,
        ARCHIVE: {"note": {"value": "x"}},
    }


def test_upgrade_keeps_every_entry_and_rollback_restores_them(user):
    installation = installation_create(user=user, spec=old_spec(), source="community:a-1@1.0.0")
    first = entry_create(
        user=user,
        installation_id=installation.id,
        values={"amount": 3, "drink": "tea", "note": "after lunch", "walk": 5, "sleep": 90},
    )
    second = entry_create(user=user, installation_id=installation.id, values={"amount": 2})

    installation_upgrade(
        user=user, installation_id=installation.id, spec=new_spec(), source="community:a-1@1.1.0"
    )

    row = Installation.objects.get(pk=installation.pk)
    assert row.source == "community:a-1@1.1.0" and row.previous_source == "community:a-1@1.0.0"
    assert [f["key"] for f in installation_spec(row)["fields"]] == [
        "glasses", "drink", "walk", "sleep", "mood",
    ]  # fmt: skip
    assert stored(first.id, user) == {
        "glasses": 3,
        "drink": "tea",
        "walk": 3.106856,
        ARCHIVE: {"note": {"value": "after lunch"}, "sleep": {"value": 90, "unit": "min"}},
    }
    assert stored(second.id, user) == {"glasses": 2}
    assert Entry.objects.filter(installation=installation).count() == 2
    page = entries_for_installation(user=user, installation_id=installation.id)
    assert {item.values.get("glasses") for item in page.items} == {3, 2}

    # a new entry under the new version survives the rollback too
    third = entry_create(user=user, installation_id=installation.id, values={"glasses": 5})
    installation_rollback(user=user, installation_id=installation.id)

    row = Installation.objects.get(pk=installation.pk)
    assert row.source == "community:a-1@1.0.0" and row.previous_spec_ct is None
    assert installation_spec(row) == old_spec()
    assert stored(first.id, user) == {
        "amount": 3, "drink": "tea", "note": "after lunch", "walk": 5.0, "sleep": 90,
    }  # fmt: skip
    assert stored(second.id, user) == {"amount": 2}
    assert stored(third.id, user) == {"amount": 5}
    with pytest.raises(Conflict):
        installation_rollback(user=user, installation_id=installation.id)


def test_someone_else_cannot_upgrade_and_a_bad_spec_changes_nothing(user):
    installation = installation_create(user=user, spec=old_spec(), source="builder")
    entry = entry_create(user=user, installation_id=installation.id, values={"amount": 1})
    before = bytes(Entry.objects.get(pk=entry.id).values_ct)
    with pytest.raises(NotFound):
        installation_upgrade(
            user=UserFactory(), installation_id=installation.id, spec=new_spec(), source="builder"
        )
    broken = new_spec()
    broken["fields"] = []
    with pytest.raises(SpecError):
        installation_upgrade(
            user=user, installation_id=installation.id, spec=broken, source="builder"
        )
    assert bytes(Entry.objects.get(pk=entry.id).values_ct) == before
    assert Installation.objects.get(pk=installation.pk).previous_spec_ct is None
