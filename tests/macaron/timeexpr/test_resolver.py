"""The time-expression resolver: en/ja/ko, tense, specificity, the person's own time zone."""

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from macaron.timeexpr import TimeRange, resolve_time
from macaron.timezones import wall_clock

FIXTURE = Path(__file__).with_name("timeexpr_cases.json")

MON_NOV_30 = "2026-11-30T10:00"  # Monday
THU_DEC_31 = "2026-12-31T22:00"  # Thursday, the last evening of the year
SAT_JAN_2 = "2027-01-02T08:00"  # Saturday
WED_FEB_28 = "2024-02-28T09:00"  # Wednesday of a leap year
TUE_JUL_15 = "2025-07-15T18:00"  # Tuesday evening

CASES = [
    # English: relative days and weeks, across the year boundary and a leap day.
    ("Yesterday I went climbing", "en", THU_DEC_31, "2026-12-30", None),
    ("Tomorrow we celebrate with friends", "en", THU_DEC_31, "2027-01-01", None),
    ("The day after tomorrow I fly home", "en", THU_DEC_31, "2027-01-02", None),
    ("the day before yesterday", "en", SAT_JAN_2, "2026-12-31", None),
    ("In three days I start the course", "en", WED_FEB_28, "2024-03-02", None),
    ("A week ago I started running", "en", WED_FEB_28, "2024-02-21", None),
    ("Three weeks ago I adopted a dog", "en", SAT_JAN_2, "2026-12-12", None),
    ("Let's meet in two weeks", "en", WED_FEB_28, "2024-03-13", None),
    ("Two years ago I moved here", "en", TUE_JUL_15, "2023-01-01", "2023-12-31"),
    ("next month", "en", THU_DEC_31, "2027-01-01", "2027-01-31"),
    ("next week is busy", "en", THU_DEC_31, "2027-01-04", "2027-01-10"),
    ("What did I do last year?", "en", SAT_JAN_2, "2026-01-01", "2026-12-31"),
    ("Last weekend we went hiking", "en", TUE_JUL_15, "2025-07-12", "2025-07-13"),
    ("this weekend", "en", SAT_JAN_2, "2027-01-02", "2027-01-03"),
    # Weekdays.
    ("Call me this Friday", "en", WED_FEB_28, "2024-03-01", None),
    ("Last Friday I saw a play", "en", WED_FEB_28, "2024-02-23", None),
    ("The course starts next Tuesday", "en", WED_FEB_28, "2024-03-05", None),
    ("I met Tom on Saturday", "en", TUE_JUL_15, "2025-07-12", None),
    ("On Saturday we're having a barbecue", "en", TUE_JUL_15, "2025-07-19", None),
    # Tense: plans and recurring dates point ahead, the past points back.
    ("I visited my aunt in December", "en", SAT_JAN_2, "2026-12-01", "2026-12-31"),
    ("We fly to Rome on 3 January", "en", THU_DEC_31, "2027-01-03", None),
    ("My birthday is on 29 February", "en", WED_FEB_28, "2024-02-29", None),
    ("My birthday is on 29 February", "en", MON_NOV_30, "2028-02-29", None),
    ("Anna's wedding is on June 6th", "en", TUE_JUL_15, "2026-06-06", None),
    ("Anna's wedding was on June 6th", "en", TUE_JUL_15, "2025-06-06", None),
    ("On the 1st I pay the rent", "en", TUE_JUL_15, "2025-08-01", None),
    # The most specific expression wins; pieces combine.
    ("Next month, on January 9th, we move", "en", THU_DEC_31, "2027-01-09", None),
    ("on the 5th of next month", "en", THU_DEC_31, "2027-01-05", None),
    ("In the first week of February we go skiing", "en", THU_DEC_31, "2027-02-01", "2027-02-07"),
    ("in March 2021", "en", TUE_JUL_15, "2021-03-01", "2021-03-31"),
    ("I'll be in Paris from 10 to 14 December", "en", MON_NOV_30, "2026-12-10", "2026-12-14"),
    ("We were in Lisbon March 3-7", "en", MON_NOV_30, "2026-03-03", "2026-03-07"),
    ("12月10日から14日まで京都にいます", "ja", MON_NOV_30, "2026-12-10", "2026-12-14"),
    ("12월 10일부터 14일까지 휴가예요", "ko", MON_NOV_30, "2026-12-10", "2026-12-14"),
    ("In 2019 I moved to Berlin", "en", TUE_JUL_15, "2019-01-01", "2019-12-31"),
    ("2024-02-29 was a leap day", "en", MON_NOV_30, "2024-02-29", None),
    # Seasons and holidays.
    ("Last summer I learned to surf", "en", TUE_JUL_15, "2024-06-01", "2024-08-31"),
    ("this winter", "en", TUE_JUL_15, "2025-12-01", "2026-02-28"),
    ("We went skiing last winter", "en", WED_FEB_28, "2022-12-01", "2023-02-28"),
    ("Christmas at my parents'", "en", TUE_JUL_15, "2025-12-25", None),
    ("Last Christmas we were in Paris", "en", TUE_JUL_15, "2024-12-25", None),
    ("We spent Christmas with my parents", "en", THU_DEC_31, "2026-12-25", None),
    ("Thanksgiving dinner at Joe's", "en", MON_NOV_30, "2027-11-25", None),
    ("Easter with the family", "en", WED_FEB_28, "2024-03-31", None),
    # Times of day.
    ("Remind me at 10am", "en", TUE_JUL_15, "2025-07-16T10:00", None),
    ("Dinner at 8pm", "en", TUE_JUL_15, "2025-07-15T20:00", None),
    ("Tomorrow at 7:45 am I catch the train", "en", THU_DEC_31, "2027-01-01T07:45", None),
    ("Movie tonight at 9", "en", MON_NOV_30, "2026-11-30T21:00", None),
    ("In two hours the shop closes", "en", TUE_JUL_15, "2025-07-15T20:00", None),
    ("Yesterday evening I cooked ramen", "en", MON_NOV_30, "2026-11-29", None),
    ("A fortnight ago we moved in", "en", MON_NOV_30, "2026-11-16", None),
    ("The week before last was hectic", "en", MON_NOV_30, "2026-11-16", "2026-11-22"),
    ("I pay the rent at the end of the month", "en", MON_NOV_30, "2026-11-21", "2026-11-30"),
    ("Next Friday is the deadline", "en", WED_FEB_28, "2024-03-08", None),
    ("Chinese New Year dinner with the family", "en", MON_NOV_30, "2027-02-07", None),
    # No expression (a duration in the past tense, a verse, a count are not times).
    ("I ran 5 km in 30 minutes", "en", MON_NOV_30, None, None),
    ("John 3:16 is my favourite verse", "en", MON_NOV_30, None, None),
    ("Every Monday I go swimming", "en", MON_NOV_30, None, None),
    ("I found a book of sketches from the 1900s", "en", MON_NOV_30, None, None),
    ("I've been learning piano since March", "en", MON_NOV_30, "2026-03-01", "2026-03-31"),
    ("I have no idea when it happened.", "en", MON_NOV_30, None, None),
    ("I may go to the party", "en", MON_NOV_30, None, None),
    # Japanese.
    ("明後日に会議があります", "ja", THU_DEC_31, "2027-01-02", None),
    ("おととい映画を見ました", "ja", SAT_JAN_2, "2026-12-31", None),
    ("来週の月曜日に出張します", "ja", THU_DEC_31, "2027-01-04", None),
    ("先週の金曜日に飲み会に行った", "ja", SAT_JAN_2, "2026-12-25", None),
    ("3月に引っ越しました", "ja", WED_FEB_28, "2023-03-01", "2023-03-31"),
    ("3月に引っ越します", "ja", WED_FEB_28, "2024-03-01", "2024-03-31"),
    ("来月の10日は母の誕生日です", "ja", THU_DEC_31, "2027-01-10", None),
    ("二週間前に京都に行った", "ja", TUE_JUL_15, "2025-07-01", None),
    ("明日の午後3時に会議があります", "ja", TUE_JUL_15, "2025-07-16T15:00", None),
    ("去年の夏に北海道に行った", "ja", SAT_JAN_2, "2026-06-01", "2026-08-31"),
    ("お盆に帰省します", "ja", TUE_JUL_15, "2025-08-13", "2025-08-16"),
    ("ゴールデンウィークに旅行した", "ja", TUE_JUL_15, "2025-04-29", "2025-05-05"),
    ("2025年12月24日にパーティー", "ja", TUE_JUL_15, "2025-12-24", None),
    ("今夜8時に電話します", "ja", WED_FEB_28, "2024-02-28T20:00", None),
    ("元日に初詣に行きます", "ja", THU_DEC_31, "2027-01-01", None),
    ("一緒に行こう", "ja", TUE_JUL_15, None, None),
    ("毎週月曜日にジムに行く", "ja", TUE_JUL_15, None, None),
    # Korean.
    ("모레 시험이 있어요", "ko", THU_DEC_31, "2027-01-02", None),
    ("그저께 친구를 만났어요", "ko", SAT_JAN_2, "2026-12-31", None),
    ("다음 주 금요일에 부산에 가요", "ko", WED_FEB_28, "2024-03-08", None),
    ("지난주 화요일에 병원에 갔어요", "ko", TUE_JUL_15, "2025-07-08", None),
    ("3일 전에 서울에 갔어요", "ko", THU_DEC_31, "2026-12-28", None),
    ("2주 후에 시험이 있어요", "ko", SAT_JAN_2, "2027-01-16", None),
    ("내일 오후 3시에 회의가 있어요", "ko", THU_DEC_31, "2027-01-01T15:00", None),
    ("오전 10시 30분에 만나요", "ko", TUE_JUL_15, "2025-07-16T10:30", None),
    ("추석에 고향에 가요", "ko", TUE_JUL_15, "2025-10-06", None),
    ("설날에 떡국을 먹었어요", "ko", TUE_JUL_15, "2025-01-29", None),
    ("작년 겨울에 눈이 많이 왔어요", "ko", TUE_JUL_15, "2024-12-01", "2025-02-28"),
    ("12월 25일에 파티를 해요", "ko", MON_NOV_30, "2026-12-25", None),
    ("다음 달 5일에 이사해요", "ko", THU_DEC_31, "2027-01-05", None),
    ("이번 주 토요일에 만나요", "ko", SAT_JAN_2, "2027-01-02", None),
    ("3월에 이사할 거예요", "ko", TUE_JUL_15, "2026-03-01", "2026-03-31"),
    ("3월에 이사했어요", "ko", TUE_JUL_15, "2025-03-01", "2025-03-31"),
    ("회의가 있어요", "ko", TUE_JUL_15, None, None),
    ("매주 월요일에 수영해요", "ko", TUE_JUL_15, None, None),
]


def expected(start: str | None, end: str | None) -> tuple[str, str] | None:
    return None if start is None else (start, end or start)


def resolved(found: TimeRange | None) -> tuple[str, str] | None:
    return None if found is None else (found.start_text(), found.end_text())


@pytest.mark.parametrize(("text", "lang", "now", "start", "end"), CASES)
def test_time_expressions(text, lang, now, start, end):
    found = resolve_time(text, datetime.fromisoformat(now), language=lang)
    assert resolved(found) == expected(start, end)


def test_there_are_enough_cases_in_every_language():
    languages = [lang for _, lang, *_ in CASES]
    assert len(CASES) >= 60
    assert min(languages.count(lang) for lang in ("en", "ja", "ko")) >= 14


@pytest.mark.parametrize(
    ("text", "now", "tz", "start"),
    [
        # 23:30 UTC is already the next morning in Tokyo.
        (
            "Tomorrow I have a dentist appointment",
            "2026-11-30T23:30:00+00:00",
            "Asia/Tokyo",
            "2026-12-02",
        ),
        # 03:00 UTC on 1 Dec is still the evening of 30 Nov in Los Angeles.
        (
            "What did I do yesterday?",
            "2026-12-01T03:00:00+00:00",
            "America/Los_Angeles",
            "2026-11-29",
        ),
        # The new year arrives first in Auckland (UTC+13 in summer).
        ("today", "2026-12-31T23:30:00+00:00", "Pacific/Auckland", "2027-01-01"),
        # A leap day in Tokyo while it is still 28 February in UTC.
        ("tomorrow", "2024-02-28T20:00:00+00:00", "Asia/Tokyo", "2024-03-01"),
        ("어제 영화를 봤어요", "2026-11-30T16:00:00+00:00", "Asia/Seoul", "2026-11-30"),
        # A naive `now` is already the person's local time.
        ("tomorrow", "2026-11-30T23:30:00", "Asia/Tokyo", "2026-12-01"),
    ],
)
def test_now_is_read_in_the_persons_zone(text, now, tz, start):
    found = resolve_time(text, datetime.fromisoformat(now), tz=tz)
    assert resolved(found) == (start, start)


def test_an_aware_now_without_a_zone_keeps_its_own_wall_clock():
    tokyo = datetime(2026, 12, 1, 8, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert resolve_time("tomorrow", tokyo) == TimeRange(date(2026, 12, 2), date(2026, 12, 2))
    assert wall_clock(tokyo.astimezone(UTC), "Asia/Tokyo") == datetime(2026, 12, 1, 8, 30)


def test_a_date_reference_has_no_clock_to_roll_over():
    found = resolve_time("Remind me at 9am", date(2026, 11, 30))
    assert found == TimeRange(date(2026, 11, 30), date(2026, 11, 30), time(9, 0))


def test_time_range_text_and_labels():
    at_ten = TimeRange(date(2026, 12, 1), date(2026, 12, 1), time(10, 0))
    assert (at_ten.start_text(), at_ten.end_text()) == ("2026-12-01T10:00", "2026-12-01T10:00")
    assert at_ten.has_time and at_ten.label() == "1 December 2026, 10:00"
    assert TimeRange(date(2026, 3, 1), date(2026, 3, 31)).label() == "March 2026"


# The command ---------------------------------------------------------------------------------


def test_command_writes_one_line_per_case(tmp_path):
    out = tmp_path / "out.jsonl"
    call_command("resolve_time", cases=str(FIXTURE), out=str(out))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    cases = json.loads(FIXTURE.read_text())
    assert [row["id"] for row in rows] == [case["id"] for case in cases]
    for case, row in zip(cases, rows, strict=True):
        assert {k: v for k, v in row.items() if k != "id"} == case["expect"], case["text"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Cannot read"),
        ("not json", "is not valid JSON"),
        ('{"id": 1}', "must hold a JSON list"),
        ('[{"id": "a", "text": "today"}]', "lacks now"),
        ('[{"id": "a", "text": "today", "now": "yesterday"}]', "is not an ISO date-time"),
        (
            '[{"id": "a", "text": "today", "now": "2026-01-01T10:00", "tz": "Mars/Base"}]',
            "unknown time zone",
        ),
        ('[{"id": "a", "text": 5, "now": "2026-01-01T10:00"}]', "text must be a string"),
    ],
)
def test_command_refuses_a_bad_case_file_clearly(tmp_path, content, message):
    cases = tmp_path / "cases.json"
    if content is not None:
        cases.write_text(content)
    out = tmp_path / "out.jsonl"
    with pytest.raises(CommandError, match=message):
        call_command("resolve_time", cases=str(cases), out=str(out))
    assert not out.exists()
