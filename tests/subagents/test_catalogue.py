import pytest
from django.core.management import call_command

from subagents.catalogue import FALLBACK_SLUG, catalogue_entries
from subagents.models import CatalogueBlueprint
from subagents.services import catalogue_load
from subagents.spec import spec_validate

ENTRIES = catalogue_entries()
EXPECTED_TOOLS = [
    "hydration",
    "calories",
    "meal-planner",
    "strength-training",
    "running",
    "cycling",
    "swimming",
    "yoga",
    "steps",
    "sleep",
    "mood",
    "gratitude",
    "meditation",
    "medication",
    "period",
    "weight",
    "blood-pressure",
    "glucose",
    "migraine",
    "caffeine",
    "alcohol",
    "fasting",
    "budget",
    "expenses",
    "subscriptions",
    "savings-goal",
    "net-worth",
    "study-plan",
    "flashcards",
    "japanese-practice",
    "english-practice",
    "korean-practice",
    "reading-list",
    "films",
    "music-practice",
    "wine-notes",
    "coffee-brewing",
    "tennis-training",
    "plant-watering",
    "pet-care",
    "baby-feeding",
    "baby-sleep",
    "habits",
    "chores",
    "keep-in-touch",
    "travel-packing",
    "trip-budget",
    "screen-time",
    "focus-sessions",
    "posture-breaks",
    "skincare",
    "recipes",
    "groceries",
    "car-fuel",
    "goals",
    "journal",
]


def test_the_catalogue_has_at_least_sixty_curated_tools_with_unique_slugs():
    slugs = [entry.slug for entry in ENTRIES if entry.slug != FALLBACK_SLUG]
    assert len(slugs) >= 60
    assert len(set(slugs)) == len(slugs)
    assert set(EXPECTED_TOOLS) <= set(slugs)


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.slug for entry in ENTRIES])
def test_every_blueprint_is_a_valid_spec_in_english_japanese_and_korean(entry):
    spec = spec_validate(entry.spec)
    assert spec["language"] == "en"
    for language in ("ja", "ko"):
        translation = spec["translations"][language]
        assert translation["name"] and translation["description"]
        assert set(translation["labels"]) == {field["key"] for field in spec["fields"]}
        for field in spec["fields"]:
            if field.get("choices") and language == "ja":
                assert len(translation["choices"][field["key"]]) == len(field["choices"])
        if spec["reminders"] and language == "ja":
            assert len(translation["reminders"]) == len(spec["reminders"])
    if entry.slug != FALLBACK_SLUG:
        assert len(entry.keywords) >= 4
        assert spec["views"], "each tool has the chart people expect"
        assert spec["memory"]["reads"]


def test_most_tools_have_a_goal_reminders_and_a_memory_hook():
    tools = [entry.spec for entry in ENTRIES if entry.slug != FALLBACK_SLUG]
    assert sum(bool(spec["goals"]) for spec in tools) >= 50
    assert sum(bool(spec["reminders"]) for spec in tools) >= 50
    assert sum(bool(spec["memory"]["writes"]) for spec in tools) >= 45
    for spec in tools:
        for write in spec["memory"]["writes"]:
            assert write["domain"] in spec["memory"]["reads"] + spec["domains"]


@pytest.mark.django_db
def test_the_migration_loaded_every_blueprint_with_an_embedding():
    rows = {row.slug: row for row in CatalogueBlueprint.objects.all()}
    assert set(rows) == {entry.slug for entry in ENTRIES}
    assert all(row.embedding is not None and len(row.embedding) == 384 for row in rows.values())
    assert rows["hydration"].spec == next(e.spec for e in ENTRIES if e.slug == "hydration")


@pytest.mark.django_db
def test_catalogue_load_is_idempotent_and_resyncs_edits_and_removals(capsys):
    assert catalogue_load() == {"created": 0, "updated": 0, "deleted": 0, "total": len(ENTRIES)}
    CatalogueBlueprint.objects.filter(slug="hydration").update(spec={"stale": True}, digest="x")
    CatalogueBlueprint.objects.create(slug="gone", group="x", spec={}, digest="y")
    call_command("catalogue_load")
    assert "1 updated, 1 deleted" in capsys.readouterr().out
    hydration = CatalogueBlueprint.objects.get(slug="hydration")
    assert hydration.spec["name"] == "Hydration log"
    assert not CatalogueBlueprint.objects.filter(slug="gone").exists()
