"""`make bench`'s table of retrieval with and without its second stage, on a tiny LoCoMo file."""

import json

import pytest

from accounts.models import User
from bench.retrieval import run
from tests.memory.evaluation.test_locomo import TINY

pytestmark = pytest.mark.django_db


def test_the_bench_reports_both_stages_ingestion_and_storage_and_leaves_no_account(tmp_path):
    dataset = tmp_path / "tiny.json"
    dataset.write_text(json.dumps(TINY), encoding="utf-8")
    lines = dict(run(dataset=dataset, crosslingual=tmp_path / "missing.json"))

    for stage in ("first stage", "two stages"):
        assert lines[f"LoCoMo dev, {stage}"].startswith("recall @1 ")
        assert "p95" in lines[f"LoCoMo dev, {stage}, retrieve()"]
    assert "second stage alone p95 0.0 ms" in lines["LoCoMo dev, first stage, retrieve()"]
    assert "second stage alone p95 0.0 ms" not in lines["LoCoMo dev, two stages, retrieve()"]
    assert "turns/s with them" in lines["LoCoMo dev, ingestion"]
    assert "memories with token vectors" in lines["LoCoMo dev, storage"]
    assert lines["cross-lingual dev"].startswith("skipped")
    assert not User.objects.filter(email__endswith="@eval.invalid").exists()
