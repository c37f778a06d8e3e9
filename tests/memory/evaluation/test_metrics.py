from memory.evaluation.metrics import (
    RECALL_AT,
    Scores,
    answer_terms,
    evidence_ids,
    session_any_hit,
)


def test_evidence_ids_split_and_normalise_shared_strings():
    assert evidence_ids(["D8:6; D9:17", "D1:03", "D2:4,D2:5"]) == {
        "D8:6",
        "D9:17",
        "D1:3",
        "D2:4",
        "D2:5",
    }


def test_answer_terms_are_stemmed_content_words():
    assert answer_terms("She adopted two puppies") == {"adopt", "two", "puppy"}


def test_scores_report_means_per_cutoff():
    scores = Scores()
    scores.add({k: 1.0 for k in RECALL_AT}, all_hit=1.0, answer=0.5, tokens=120, session_hit=1.0)
    scores.add(
        {k: 0.0 if k == 1 else 1.0 for k in RECALL_AT},
        all_hit=0.0,
        answer=None,
        tokens=80,
        session_hit=0.0,
    )
    report = scores.report(10)
    assert report["recall@1"] == 0.5
    assert report["recall@10"] == 1.0
    assert (report["all_evidence@10"], report["answer_token_recall@10"]) == (0.5, 0.5)
    assert (report["tokens@10"], report["questions"]) == (100, 2)
    assert report["session_any_hit@5"] == 0.5


def test_session_any_hit_looks_at_the_first_five_distinct_sessions_of_the_top_ten():
    # Seven results from five sessions D1..D5 (a memory may come from two turns), then D6.
    ranked = [["D1:1"], ["D1:2", "D2:1"], ["D3:4"], ["D2:9"], ["D4:1"], ["D5:2"], ["D6:3"]]
    assert session_any_hit(ranked, {"D5:7"}) == 1.0  # another turn of a session shown
    assert session_any_hit(ranked, {"D6:3"}) == 0.0  # the sixth distinct session
    assert session_any_hit(ranked, {"D9:1", "D2:4"}) == 1.0  # any evidence session counts
    deep = [["D1:1"]] * 10 + [["D7:1"]]
    assert session_any_hit(deep, {"D7:1"}) == 0.0  # beyond the top ten
