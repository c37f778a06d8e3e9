"""Ranking properties, each as a small scenario replayed by `community_simulate` through the
real services, aggregation and scoring (our own fixtures; no shared data)."""

import json

import pytest
from django.core.management import call_command

from community.models import Blueprint, Score, UsageEvent
from community.simulation import scenario_run

pytestmark = pytest.mark.django_db


class Scenario:
    def __init__(self, name: str, days: int, users: int):
        self.data = {"name": name, "days": days, "users": users, "blueprints": [], "events": []}

    def blueprint(
        self, id: str, author: int, day: int = 0, parent: str | None = None, spec_from=None
    ):
        entry = {"id": id, "author": f"u{author}", "day": day}
        if parent:
            entry["parent"] = parent
        if spec_from:
            entry["spec_from"] = spec_from
        self.data["blueprints"].append(entry)

    def event(self, day: int, user: int, blueprint: str, action: str, **extra):
        self.data["events"].append(
            {"day": day, "user": f"u{user}", "blueprint": blueprint, "action": action, **extra}
        )

    def adopt(self, blueprint: str, users, *, start: int, end: int, rating: int | None = None):
        """People import on `start`, use it every day until `end` (exclusive), then uninstall."""
        for user in users:
            self.event(start, user, blueprint, "import")
            for day in range(start, min(end, self.data["days"])):
                self.event(day, user, blueprint, "open")
                self.event(day, user, blueprint, "entry", count=1)
            if rating is not None:
                self.event(
                    min(start + 3, self.data["days"] - 1), user, blueprint, "rating", value=rating
                )
            if end < self.data["days"]:
                self.event(end, user, blueprint, "uninstall")

    def run(self, seed: int = 0) -> dict:
        self.data["events"].sort(key=lambda event: event["day"])
        result, _ = scenario_run(scenario=self.data, seed=seed)
        return {row["day"]: row for row in result["days"]}


def above(days: dict, a: str, b: str, on) -> list[int]:
    """Days of `on` where a's score is NOT strictly above b's."""
    return [day for day in on if not days[day]["scores"][a] > days[day]["scores"][b]]


def test_a_better_fork_overtakes_its_parent():
    s = Scenario("fork", days=30, users=70)
    s.blueprint("A", author=0, spec_from="hydration")
    s.blueprint("B", author=1, day=6, parent="A")
    s.adopt("A", range(10, 30), start=0, end=12, rating=3)
    s.adopt("A", range(30, 35), start=2, end=30, rating=3)
    s.adopt("B", range(40, 65), start=7, end=30, rating=5)
    days = s.run()
    assert above(days, "B", "A", range(14, 30)) == []


def test_one_account_bursting_opens_counts_once_a_day():
    s = Scenario("burst", days=20, users=20)
    s.blueprint("C", author=0)
    s.blueprint("D", author=1)
    s.event(0, 5, "C", "import")
    for day in range(20):
        for _ in range(150):
            s.event(day, 5, "C", "open")
    s.event(2, 5, "C", "rating", value=5)
    s.adopt("D", range(10, 14), start=0, end=20, rating=4)
    days = s.run()
    assert above(days, "D", "C", range(0, 20)) == []
    assert days[19]["components"]["C"]["usage"] < 1.0


def test_the_authors_own_use_and_rating_never_count():
    s = Scenario("self", days=15, users=10)
    s.blueprint("E", author=2)
    s.blueprint("F", author=3)
    for day in range(15):
        s.event(day, 2, "E", "open")
        s.event(day, 2, "E", "entry", count=40)
    s.event(0, 2, "E", "import")
    s.event(1, 2, "E", "rating", value=5)
    s.adopt("F", [5, 6], start=0, end=15, rating=3)
    days = s.run()
    assert all(days[day]["scores"]["E"] == 0.0 for day in range(15))
    assert above(days, "F", "E", range(0, 15)) == []


def test_a_sybil_rating_burst_does_not_beat_real_use():
    s = Scenario("sybil", days=20, users=40)
    s.blueprint("G", author=0)
    s.blueprint("H", author=1)
    for user in range(20, 40):  # fresh accounts: import, rate 5, never use
        s.event(4, user, "G", "import")
        s.event(4, user, "G", "rating", value=5)
    s.adopt("H", range(5, 11), start=0, end=20, rating=4)
    days = s.run()
    assert above(days, "H", "G", range(4, 20)) == []
    assert days[19]["components"]["G"]["rating_weight"] < 1.0


def test_a_new_fork_with_no_use_yet_gets_shown_within_a_week():
    s = Scenario("exposure", days=16, users=80)
    for index in range(14):
        s.blueprint(f"P{index}", author=index % 5)
        s.adopt(f"P{index}", range(10 + 4 * index, 13 + 4 * index), start=0, end=16, rating=4)
    s.blueprint("N", author=4, day=8, parent="P0")
    for seed in (0, 1, 2):
        days = s.run(seed=seed)
        assert any("N" in days[day]["shown"] for day in range(8, 15)), seed
        assert all(len(days[day]["shown"]) == 10 for day in range(16))
        assert "N" not in days[8]["ranking"][:7]  # shown by exploration, not by its score


def test_a_successful_child_lifts_its_parent_above_an_equal_sibling():
    s = Scenario("lineage", days=25, users=60)
    s.blueprint("PA", author=0, spec_from="calories")
    s.blueprint("PB", author=1, spec_from="meal planner")
    s.blueprint("Q", author=2, day=3, parent="PB")
    s.adopt("PA", range(10, 15), start=0, end=25, rating=4)
    s.adopt("PB", range(15, 20), start=0, end=25, rating=4)
    s.adopt("Q", range(20, 50), start=4, end=25, rating=5)
    days = s.run()
    assert above(days, "PB", "PA", range(5, 25)) == []
    assert days[24]["components"]["PA"]["own"] == days[24]["components"]["PB"]["own"]
    assert days[24]["components"]["PB"]["credit"] > 0
    assert above(days, "Q", "PB", range(10, 25)) == []


def test_old_popularity_decays_below_steady_use():
    s = Scenario("decay", days=35, users=60)
    s.blueprint("OLD", author=0)
    s.blueprint("STEADY", author=1)
    s.adopt("OLD", range(10, 50), start=0, end=6, rating=4)
    s.adopt("STEADY", range(50, 55), start=0, end=35, rating=4)
    days = s.run()
    assert above(days, "OLD", "STEADY", [3]) == []
    assert above(days, "STEADY", "OLD", range(25, 35)) == []


def test_two_perfect_ratings_do_not_beat_many_good_ones():
    s = Scenario("uncertainty", days=15, users=50)
    s.blueprint("TWO", author=0)
    s.blueprint("MANY", author=1)
    s.adopt("TWO", range(10, 30), start=0, end=15)
    s.adopt("MANY", range(30, 50), start=0, end=15)
    for user in (10, 11):
        s.event(4, user, "TWO", "rating", value=5)
    for user in range(30, 50):
        s.event(4, user, "MANY", "rating", value=4 if user % 2 else 5)
    days = s.run()
    assert above(days, "MANY", "TWO", range(5, 15)) == []


def test_the_command_writes_the_interface_and_leaves_nothing_behind(tmp_path):
    s = Scenario("command", days=4, users=6)
    s.blueprint("A", author=0)
    s.blueprint("B", author=1, day=1, parent="A")
    s.adopt("A", [2, 3], start=0, end=4, rating=4)
    s.event(2, 4, "B", "report")
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps(s.data))
    before = (Blueprint.objects.count(), UsageEvent.objects.count(), Score.objects.count())
    outputs = []
    for name in ("one.json", "two.json"):
        call_command(
            "community_simulate",
            "--scenario",
            str(scenario),
            "--json",
            str(tmp_path / name),
            "--seed",
            "3",
        )
        outputs.append(json.loads((tmp_path / name).read_text()))
    assert (Blueprint.objects.count(), UsageEvent.objects.count(), Score.objects.count()) == before
    first, second = outputs
    assert [row["day"] for row in first["days"]] == [0, 1, 2, 3]
    assert first["days"][0]["ranking"] == ["A"]
    assert set(first["days"][3]["ranking"]) == {"A", "B"} == set(first["days"][3]["scores"])
    assert first["days"][3]["shown"] == first["days"][3]["ranking"]
    assert [row["scores"] for row in first["days"]] == [row["scores"] for row in second["days"]]
