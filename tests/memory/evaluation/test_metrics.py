from memory.evaluation.metrics import RECALL_AT, Scores, answer_terms, evidence_ids


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
    scores.add({k: 1.0 for k in RECALL_AT}, all_hit=1.0, answer=0.5, tokens=120)
    scores.add({k: 0.0 if k == 1 else 1.0 for k in RECALL_AT}, all_hit=0.0, answer=None, tokens=80)
    report = scores.report(10)
    assert report["recall@1"] == 0.5
    assert report["recall@10"] == 1.0
    assert (report["all_evidence@10"], report["answer_token_recall@10"]) == (0.5, 0.5)
    assert (report["tokens@10"], report["questions"]) == (100, 2)
