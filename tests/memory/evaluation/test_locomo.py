import json

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from memory.models import DataKey, Memory, Message

pytestmark = pytest.mark.django_db

TINY = [
    {
        "sample_id": "tiny-1",
        "conversation": {
            "speaker_a": "Ana",
            "speaker_b": "Ben",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                {
                    "speaker": "Ana",
                    "dia_id": "D1:1",
                    "text": "I adopted a grey cat named Pixel yesterday!",
                },
                {
                    "speaker": "Ben",
                    "dia_id": "D1:2",
                    "text": "Lovely! I am training for the Berlin marathon in September.",
                },
                {
                    "speaker": "Ana",
                    "dia_id": "D1:3",
                    "text": "Look at my new bookshelf.",
                    "blip_caption": "a photo of a wooden bookshelf full of novels",
                },
            ],
            "session_2_date_time": "10:00 am on 20 June, 2023",
            "session_2": [
                {
                    "speaker": "Ben",
                    "dia_id": "D2:1",
                    "text": "My knee hurts after the long run, so I am resting this week.",
                },
                {
                    "speaker": "Ana",
                    "dia_id": "D2:2",
                    "text": "Pixel knocked my coffee off the table this morning.",
                },
            ],
        },
        "qa": [
            {
                "question": "What is the name of Ana's cat?",
                "answer": "Pixel",
                "evidence": ["D1:1"],
                "category": 4,
            },
            {
                "question": "When did Ana adopt her cat?",
                "answer": "7 May 2023",
                "evidence": ["D1:1"],
                "category": 2,
            },
            {
                "question": "Which marathon is Ben training for?",
                "answer": "Berlin",
                "evidence": ["D1:2; D2:1"],
                "category": 1,
            },
            {
                "question": "What furniture did Ana show?",
                "answer": "bookshelf",
                "evidence": ["D1:3"],
                "category": 5,
            },
        ],
    }
]


def test_memory_eval_reports_the_documented_json(tmp_path, capsys):
    dataset = tmp_path / "tiny.json"
    dataset.write_text(json.dumps(TINY))
    out = tmp_path / "report.json"
    call_command(
        "memory_eval", "--dataset", str(dataset), "--k", "10", "--json", str(out), "--no-progress"
    )
    report = json.loads(out.read_text())
    assert set(report) >= {
        "overall",
        "by_category",
        "latency_ms",
        "ingest_turns_per_s",
        "questions",
    }
    assert set(report["overall"]) >= {
        "recall@1",
        "recall@5",
        "recall@10",
        "recall@20",
        "all_evidence@10",
        "answer_token_recall@10",
        "tokens@10",
    }
    assert report["questions"] == 3  # category 5 is reported separately
    assert "reply_tokens" not in report["overall"]  # only with --reply
    assert set(report["by_category"]) == {"1", "2", "4", "5"}
    assert report["by_category"]["4"]["recall@10"] == 1.0
    assert report["by_category"]["2"]["answer_token_recall@10"] == 1.0  # "yesterday" → 7 May 2023
    assert report["by_category"]["5"]["recall@10"] == 1.0  # found through the photo caption
    assert 0 < report["overall"]["tokens@10"] < 800
    assert report["latency_ms"]["p50"] > 0
    # throwaway users, their keys and everything they held are gone
    assert not User.objects.filter(email__endswith="@eval.invalid").exists()
    assert not (DataKey.objects.exists() or Memory.objects.exists() or Message.objects.exists())


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", "is not JSON"),
        ("{}", "Expected a JSON list"),
        ('[{"conversation": {}, "qa": []}]', "has no sessions"),
        (
            '[{"conversation": {"session_1": [{"speaker": "A"}], "session_1_date_time": "1:56 pm on 8 May, 2023"}, "qa": []}]',
            "lacks speaker/text/dia_id",
        ),
        (
            '[{"conversation": {"session_1": [], "session_1_date_time": "someday maybe"}, "qa": []}]',
            "Unreadable session date",
        ),
    ],
)
def test_memory_eval_refuses_a_malformed_dataset_and_writes_nothing(tmp_path, content, message):
    dataset = tmp_path / "bad.json"
    dataset.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("memory_eval", "--dataset", str(dataset), "--no-progress")
    assert not User.objects.exists()


def test_memory_eval_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("memory_eval", "--dataset", str(tmp_path / "nope.json"), "--no-progress")


def test_memory_eval_reply_scores_the_companions_answers(tmp_path):
    dataset = tmp_path / "tiny.json"
    dataset.write_text(json.dumps(TINY))
    out = tmp_path / "report.json"

    call_command(
        "memory_eval", "--dataset", str(dataset), "--json", str(out), "--no-progress", "--reply"
    )

    report = json.loads(out.read_text())
    overall = report["overall"]
    assert 0 <= overall["reply_answer_token_recall"] <= 1
    assert overall["reply_tokens"] > 3  # a real sentence, not an empty reply
    # "What is the name of Ana's cat?" is answered from the memory that names Pixel
    assert report["by_category"]["4"]["reply_answer_token_recall"] == 1.0
    # nothing is left behind by the replies (no stored message, no reinforcement)
    assert not User.objects.filter(email__endswith="@eval.invalid").exists()
    assert not (Memory.objects.exists() or Message.objects.exists())
