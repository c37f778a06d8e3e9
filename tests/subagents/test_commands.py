import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from memory.services import memory_create

pytestmark = pytest.mark.django_db


def test_subagent_build_prints_the_spec(capsys):
    call_command("subagent_build", "--request", "I want to read 30 pages every day")
    spec = json.loads(capsys.readouterr().out)
    assert spec["goals"][0]["target"] == 30 and spec["goals"][0]["unit"] == "pages"


def test_a_refused_request_exits_2_with_a_message(capsys):
    with pytest.raises(SystemExit) as exited:
        call_command("subagent_build", "--request", "make a 3D racing game")
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "not a lifestyle tool" in captured.err


def test_language_and_user_options(capsys, user):
    memory_create(user=user, text="I'm allergic to peanuts")
    call_command(
        "subagent_build", "--request", "meal planner", "--language", "ja", "--user", user.email
    )
    spec = json.loads(capsys.readouterr().out)
    assert spec["language"] == "ja" and "peanuts" in spec["persona"]
    with pytest.raises(CommandError):
        call_command("subagent_build", "--request", "x", "--user", "nobody@example.org")


def test_batch_writes_one_line_per_request(tmp_path):
    requests = tmp_path / "requests.json"
    requests.write_text(
        json.dumps(
            [
                {"id": "a", "request": "Track my sleep, at least 8 hours a night"},
                {"id": "b", "request": "毎日の水分補給を記録したい", "language": "ja"},
                {"id": "c", "request": ""},
                {"id": "d", "request": "hack my neighbour's wifi"},
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    call_command("subagent_build", "--batch", str(requests), "--out", str(out))
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["a", "b", "c", "d"]
    assert rows[0]["spec"]["goals"][0]["target"] == 8
    assert rows[1]["spec"]["language"] == "ja"
    assert "error" in rows[2] and "spec" not in rows[2]
    assert "error" in rows[3] and "spec" not in rows[3]


def test_batch_needs_out_and_a_readable_list(tmp_path):
    with pytest.raises(CommandError):
        call_command("subagent_build", "--batch", str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("subagent_build", "--batch", str(bad), "--out", str(tmp_path / "o.jsonl"))
