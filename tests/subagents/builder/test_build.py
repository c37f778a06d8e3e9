"""The offline builder on requests written for this suite (not the shared dev set): the spec must
be valid and have the properties the words ask for; non-tools are refused."""

import re

import pytest

from memory.services import memory_create, memory_update
from subagents.builder.matching import BuildRefused
from subagents.services import spec_build
from subagents.spec import spec_validate

pytestmark = pytest.mark.django_db


def has_goal(spec, target, period=None, direction=None, unit=None):
    for goal in spec["goals"]:
        if abs(goal["target"] - target) > 1e-6:
            continue
        if period and goal["period"] != period:
            continue
        if direction and goal["direction"] != direction:
            continue
        if unit and goal.get("unit") != unit:
            continue
        return True
    return False


def has_reminder(spec, times=None, weekdays=None, every_days=None):
    for reminder in spec["reminders"]:
        schedule = reminder["schedule"]
        if times and not set(times) <= set(schedule["times"]):
            continue
        if weekdays and set(schedule.get("weekdays", [])) != set(weekdays):
            continue
        if every_days and schedule.get("every_days") != every_days:
            continue
        return True
    return False


def text_of(spec):
    parts = [spec["name"], spec["description"]] + [f["label"] for f in spec["fields"]]
    return " ".join(parts)


CASES = [
    # (request, language, slug, checks)
    (
        "Help me drink 2 litres of water every day",
        None,
        "hydration",
        {"goal": (2, "day", "at_least", "l"), "unit": "l"},
    ),
    (
        "I want to walk 10,000 steps a day",
        None,
        "steps",
        {"goal": (10000, "day", "at_least", None)},
    ),
    (
        "Track my cycling rides in miles, 100 miles a week",
        None,
        "cycling",
        {"goal": (100, "week", None, "mi"), "unit": "mi"},
    ),
    ("Log my swims, goal 2000 m per week", None, "swimming", {"goal": (2000, "week", None, "m")}),
    (
        "Yoga 20 minutes every morning, remind me at 7am",
        None,
        "yoga",
        {"goal": (20, "day", None, "min"), "reminder": {"times": ["07:00"]}},
    ),
    (
        "I want to read 24 books this year",
        None,
        "reading-list",
        {"goal": (24, "year", "at_least", None)},
    ),
    (
        "Keep my alcohol to no more than 10 drinks a week",
        None,
        "alcohol",
        {"goal": (10, "week", "at_most", None)},
    ),
    (
        "Count calories, under 1800 kcal a day",
        None,
        "calories",
        {"goal": (1800, "day", "at_most", "kcal")},
    ),
    (
        "Track my expenses in dollars, max $800 a month",
        None,
        "expenses",
        {"goal": (800, "month", "at_most", "USD"), "unit": "USD"},
    ),
    (
        "Remind me to call my mom every Sunday at 6pm",
        None,
        "keep-in-touch",
        {"reminder": {"times": ["18:00"], "weekdays": [6]}},
    ),
    ("Track my glucose before and after meals", None, "glucose", {}),
    ("A headache diary with intensity and triggers", None, "migraine", {}),
    ("Help me stop smoking", None, "quit-smoking", {}),
    (
        "Focus sessions: 4 hours of deep work a day",
        None,
        "focus-sessions",
        {"goal": (240, "day", None, "min")},
    ),
    ("Practise piano 30 minutes a day", None, "music-practice", {"goal": (30, "day", None, "min")}),
    ("A packing list for my trip to Japan", None, "travel-packing", {}),
    (
        "I want to save 5000 euros this year",
        None,
        "savings-goal",
        {"goal": (5000, "year", None, "EUR")},
    ),
    ("Walk the dog twice a day", None, "pet-care", {"goal": (2, "day", None, None)}),
    ("Log the films I watch with a rating", None, "films", {"types": ["rating"]}),
    ("Flashcards: review 30 cards a day", None, "flashcards", {"goal": (30, "day", None, None)}),
    ("Learn Korean 10 minutes a day", None, "korean-practice", {"goal": (10, "day", None, "min")}),
    ("Plan our meals for the week", None, "meal-planner", {}),
    ("Water my cactus every 14 days", None, "plant-watering", {"reminder": {"every_days": 14}}),
    (
        "I'd like to meditate for 15 min daily",
        None,
        "meditation",
        {"goal": (15, "day", None, "min")},
    ),
    ("Study for my exams, 2 hours a day", None, "study-plan", {"goal": (120, "day", None, "min")}),
    (
        "Budget for my trip to Italy: 1500 euros",
        None,
        "trip-budget",
        {"goal": (1500, None, "at_most", "EUR")},
    ),
    (
        "Track my screen time on social media, at most 1 hour a day",
        None,
        "screen-time",
        {"goal": (60, "day", "at_most", "min")},
    ),
    ("Track my weight in lbs", None, "weight", {"unit": "lb"}),
    (
        "Tennis: work on my serve and backhand, 3 sessions a week",
        None,
        "tennis-training",
        {"goal": (3, "week", None, "times")},
    ),
    (
        "Coffee brewing notes: bean, grind, dose and taste",
        None,
        "coffee-brewing",
        {"min_fields": 4},
    ),
    (
        "Log my bouldering sessions: grade, attempts and a photo",
        None,
        None,
        {"types": ["photo"], "min_fields": 3},
    ),
    (
        "Track how many cups of tea I drink, at most 4 a day",
        None,
        None,
        {"goal": (4, "day", "at_most", None)},
    ),
    ("毎日8時間寝たい", "ja", "sleep", {"goal": (8, "day", None, "h"), "language": "ja"}),
    (
        "コーヒーは1日2杯までにしたい",
        None,
        "caffeine",
        {"goal": (2, "day", "at_most", "cup"), "language": "ja"},
    ),
    (
        "毎朝7時に薬を飲むのを忘れないようにリマインドして",
        None,
        "medication",
        {"reminder": {"times": ["07:00"]}, "language": "ja"},
    ),
    (
        "1ヶ月の食費を3万円以内に抑えたい",
        None,
        "expenses",
        {"goal": (30000, "month", "at_most", "JPY"), "language": "ja"},
    ),
    (
        "毎週月曜日に体重を記録したい",
        None,
        "weight",
        {"reminder": {"weekdays": [0]}, "language": "ja"},
    ),
    (
        "ランニングを記録したい。週に20キロ走るのが目標",
        None,
        "running",
        {"goal": (20, "week", None, "km"), "language": "ja"},
    ),
    (
        "하루에 물 8잔 마시기",
        None,
        "hydration",
        {"goal": (8, "day", None, "glass"), "language": "ko"},
    ),
    (
        "매일 밤 10시에 일기 쓰라고 알려줘",
        None,
        "journal",
        {"reminder": {"times": ["22:00"]}, "language": "ko"},
    ),
    (
        "한 달에 책 두 권 읽기",
        None,
        "reading-list",
        {"goal": (2, "month", None, None), "language": "ko"},
    ),
    (
        "커피를 하루 세 잔 이하로 줄이고 싶어요",
        None,
        "caffeine",
        {"goal": (3, "day", "at_most", "cup"), "language": "ko"},
    ),
    (
        "매주 월요일과 목요일에 헬스 가기",
        None,
        "strength-training",
        {"reminder": {"weekdays": [0, 3]}, "language": "ko"},
    ),
    (
        "Track my baby's feedings, breast or bottle or formula",
        "en",
        "baby-feeding",
        {"choices": ["formula"]},
    ),
    (
        "Track my weight, I want to get down to 65 kg",
        None,
        "weight",
        {"goal": (65, "week", "at_most", "kg")},
    ),
    (
        "体重を記録して、60キロまで減らしたい",
        None,
        "weight",
        {"goal": (60, None, "at_most", "kg"), "language": "ja"},
    ),
    (
        "매일 단어 30개 외우기",
        None,
        "flashcards",
        {"goal": (30, "day", None, "words"), "language": "ko"},
    ),
    ("Log my push-ups, 100 a day", None, "home-workout", {"goal": (100, "day", None, None)}),
    (
        "Track my daily mood: happy, sad or anxious",
        None,
        "mood",
        {"choices": ["happy", "sad", "anxious"]},
    ),
    ("Help me floss every night", None, "habits", {"reminder": {"times": ["21:00"]}}),
    ("Log my blood sugar in mmol/L", None, "glucose", {"unit": "mmol/L"}),
    (
        "Track my guitar practice, 45 minutes, 5 days a week",
        None,
        "music-practice",
        {"goal": (45, "day", None, "min")},
    ),
]


@pytest.mark.parametrize(("request_text", "language", "slug", "checks"), CASES)
def test_requests_become_adapted_valid_specs(request_text, language, slug, checks):
    result = spec_build(request=request_text, language=language)
    spec = spec_validate(result.spec)
    if slug:
        assert result.source == f"catalogue:{slug}"
    if "goal" in checks:
        target, period, direction, unit = checks["goal"]
        assert has_goal(spec, target, period, direction, unit), spec["goals"]
    if "reminder" in checks:
        assert has_reminder(spec, **checks["reminder"]), spec["reminders"]
    if "unit" in checks:
        assert checks["unit"] in {f.get("unit") for f in spec["fields"]}
    if "types" in checks:
        assert set(checks["types"]) <= {f["type"] for f in spec["fields"]}
    if "min_fields" in checks:
        assert len(spec["fields"]) >= checks["min_fields"]
    if "choices" in checks:
        choices = {c for f in spec["fields"] for c in f.get("choices", [])}
        assert set(checks["choices"]) <= choices
    assert spec["language"] == checks.get("language", "en")
    if spec["language"] == "ja":
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text_of(spec))
    if spec["language"] == "ko":
        assert re.search(r"[\uac00-\ud7af]", text_of(spec))


@pytest.mark.parametrize(
    ("request_text", "code"),
    [
        ("make a 3D racing game", "not_a_lifestyle_tool"),
        ("Make the sequel to a AAA open-world video game", "not_a_lifestyle_tool"),
        ("build me an online store website", "not_a_lifestyle_tool"),
        ("hack my neighbour's wifi", "request_not_allowed"),
        ("隣の家のWi-Fiをハッキングして", "request_not_allowed"),
        ("asdf qwerty zxcv", "request_unclear"),
        ("zzkq vbnm plokij", None),
        ("", "empty_request"),
        ("   ", "empty_request"),
        ("x" * 1001, "request_too_long"),
    ],
)
def test_requests_that_are_not_lifestyle_tools_are_refused(request_text, code):
    with pytest.raises(BuildRefused) as caught:
        spec_build(request=request_text)
    assert caught.value.status_code == 400
    if code:
        assert caught.value.code == code
    assert caught.value.message


def test_fields_mentioned_in_passing_are_not_added_but_listed_ones_are():
    spec = spec_build(request="Help me keep in touch with friends, call someone every week").spec
    assert {f["key"] for f in spec["fields"]} == {"person", "contact", "birthday", "note"}
    spec = spec_build(
        request="My sourdough baking log: flour, hydration %, rise time and a photo"
    ).spec
    assert "flour" in {f["key"] for f in spec["fields"]}


def test_a_tracking_request_the_catalogue_lacks_gets_a_generic_tracker_named_after_it():
    result = spec_build(request="Track my chess games")
    assert result.source == "catalogue:custom-tracker"
    assert result.spec["name"] == "Chess games log"


def test_a_build_reports_what_it_changed_from_the_blueprint():
    result = spec_build(request="I want to drink more water, 2 litres a day")
    texts = [change["text"] for change in result.changes]
    assert "Amount unit: glass → l" in texts
    assert any(text.startswith("Goal:") and "2 l per day" in text for text in texts)


def test_the_language_argument_wins_over_the_script():
    result = spec_build(request="Track my sleep", language="ja")
    assert result.spec["language"] == "ja"
    assert result.spec["name"] == "睡眠ログ"
    assert result.spec["translations"]["en"]["name"] == "Sleep log"


def test_a_peanut_allergy_shapes_the_meal_planner_persona_and_defaults(user):
    memory = memory_create(user=user, text="I'm allergic to peanuts")
    result = spec_build(request="Plan my meals for the week", user=user)
    assert "peanuts" in result.spec["persona"]
    avoid = next(f for f in result.spec["fields"] if f["key"] == "avoid")
    assert avoid["default"] == "peanuts"
    assert memory.id in result.memory_ids
    # The same person's running log is not a food tool: nothing about peanuts there.
    running = spec_build(request="Log my runs", user=user)
    assert "peanut" not in running.spec["persona"]


def test_an_injury_and_the_household_shape_other_tools(user):
    memory_create(user=user, text="I hurt my knee skiing last winter")
    memory_create(user=user, text="We are a family of 4")
    workout = spec_build(request="A strength training log", user=user)
    assert "knee" in workout.spec["persona"]
    assert any(f["key"] == "pain" and f["label"] == "Knee pain" for f in workout.spec["fields"])
    planner = spec_build(request="Plan our meals for the week", user=user)
    servings = next(f for f in planner.spec["fields"] if f["key"] == "servings")
    assert servings["default"] == 4
    ja = spec_build(request="筋トレを記録したい", user=user)
    assert "膝" in ja.spec["persona"]


def test_memories_not_shared_with_sub_agents_never_shape_a_tool(user, django_user_model):
    memory = memory_create(user=user, text="I'm allergic to shellfish")
    memory_update(user=user, memory_id=memory.id, policy={"share_with_subagents": False})
    result = spec_build(request="Plan my meals for the week", user=user)
    assert "shellfish" not in result.spec["persona"]
    assert result.memory_ids == []
    # Another person's memories never reach this person's tools.
    other = django_user_model.objects.create_user(email="other@example.org", password="x" * 12)
    memory_create(user=other, text="I'm allergic to sesame")
    assert "sesame" not in spec_build(request="Plan my meals", user=user).spec["persona"]
