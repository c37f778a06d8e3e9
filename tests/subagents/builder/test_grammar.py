import pytest

from subagents.builder.grammar import normalise_numbers, parse, parse_choices


def quantities(text):
    return [(q.value, q.unit, q.period, q.direction) for q in parse(text).quantities]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8 glasses a day", [(8, "glass", "day", None)]),
        ("under 3 cups a day", [(3, "cup", "day", "at_most")]),
        ("2 litres of water daily", [(2, "l", "day", None)]),
        ("budget 500 euros a month", [(500, "EUR", "month", "at_most")]),
        ("24 books this year", [(24, "books", "year", None)]),
        ("at least 7.5 hours a night", [(7.5, "h", "day", "at_least")]),
        ("no more than $50 a week", [(50, "USD", "week", "at_most")]),
        ("walk 10k steps a day", [(10000, "steps", "day", None)]),
        ("eight glasses a day", [(8, "glass", "day", None)]),
        ("twenty-five minutes a day", [(25, "min", "day", None)]),
        ("half an hour of piano", [(0.5, "h", None, None)]),
        ("1日2リットル", [(2, "l", "day", None)]),
        ("毎日20個の単語", [(20, "words", "day", None)]),
        ("1ヶ月の食費を3万円以内に", [(30000, "JPY", "month", "at_most")]),
        ("コーヒーは1日3杯以下", [(3, "serving", "day", "at_most")]),
        ("하루 만 보", [(10000, "steps", "day", None)]),
        ("커피를 하루 세 잔 이하로", [(3, "serving", "day", "at_most")]),
        ("한 달에 책 두 권", [(2, "books", "month", None)]),
        ("three times a week", [(3, "times", "week", None)]),
        ("a mood journal with a 1-5 rating", []),
        ("remind me at 9am and 9pm", []),
        ("every 3 days", []),
    ],
)
def test_quantities_units_periods_and_directions(text, expected):
    assert quantities(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("remind me at 9am and 9pm", {"kind": "daily", "times": ["09:00", "21:00"]}),
        ("every 3 days", {"kind": "interval", "times": ["09:00"], "every_days": 3}),
        ("every Monday morning", {"kind": "weekly", "times": ["08:00"], "weekdays": [0]}),
        (
            "mondays and thursdays at 7:30",
            {"kind": "weekly", "times": ["07:30"], "weekdays": [0, 3]},
        ),
        ("every other day at 6pm", {"kind": "interval", "times": ["18:00"], "every_days": 2}),
        (
            "on weekends at noon remind me",
            {"kind": "weekly", "times": ["12:00"], "weekdays": [5, 6]},
        ),
        ("毎朝7時にリマインドして", {"kind": "daily", "times": ["07:00"]}),
        ("午後9時半に通知", {"kind": "daily", "times": ["21:30"]}),
        ("毎週月曜日に", {"kind": "weekly", "times": ["09:00"], "weekdays": [0]}),
        ("매일 오후 8시에 알림", {"kind": "daily", "times": ["20:00"]}),
        ("3일마다 알려줘", {"kind": "interval", "times": ["09:00"], "every_days": 3}),
    ],
)
def test_reminder_schedules(text, expected):
    schedule = parse(text).schedule
    assert schedule is not None
    assert schedule.as_spec("09:00") == expected


def test_periods_alone_are_not_reminders():
    assert parse("Track my sleep, at least 7.5 hours a night").schedule is None
    assert parse("毎日8時間寝たい").schedule is None


def test_named_options_and_number_words():
    assert ["breast", "bottle"] in parse_choices("breast or bottle")
    assert parse_choices("gym, run or swim") == [["gym", "run", "swim"]]
    assert normalise_numbers("二十個") == "20個"
    assert normalise_numbers("一緒に") == "一緒に"
