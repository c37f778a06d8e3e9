import pytest

from memory.retrieval.highlight import close_in_meaning, highlight


def marked(text: str, query: str) -> str:
    return "".join(f"[{piece}]" if hit else piece for piece, hit in highlight(text, query).pieces)


@pytest.mark.parametrize(
    ("text", "query", "expected"),
    [
        ("I am allergic to peanuts", "peanut allergy", "I am allergic to [peanuts]"),
        (
            "My sister's flat is in Lisbon",
            "where does my sister live",
            "My [sister's] flat is in Lisbon",
        ),
        ("I am allergic to peanuts", "what am I", "I am allergic to peanuts"),  # stopwords only
        ("私はピーナッツアレルギーです", "ピーナッツ", "私は[ピーナッツ]アレルギーです"),
        ("저는 고양이를 키워요", "고양이", "저는 [고양이]를 키워요"),
        ("Tea, TEA and tea!", "tea", "[Tea], [TEA] and [tea]!"),
    ],
)
def test_highlight_marks_the_query_terms_found(text, query, expected):
    assert marked(text, query) == expected


def test_highlight_pieces_join_back_to_the_text_and_list_the_matched_words():
    result = highlight("<b>Peanuts</b> & peanut butter", "peanuts")
    assert "".join(piece for piece, _ in result.pieces) == "<b>Peanuts</b> & peanut butter"
    assert result.terms == ("Peanuts", "peanut")
    assert result.matched
    assert highlight("Tea, TEA and tea!", "tea").terms == ("Tea",)
    assert not highlight("I like green tea", "coffee").matched
    assert highlight("", "tea").pieces == ()


def test_close_in_meaning_needs_to_stand_out():
    # one clear match among unrelated memories
    assert close_in_meaning([0.85, 0.73, 0.72, 0.75, 0.71]) == [True, False, False, False, False]
    # nothing stands out: all near the typical similarity of unrelated sentences
    assert close_in_meaning([0.80, 0.79, 0.79, 0.77, 0.76]) == [False] * 5
    # two close ones within the margin of the best
    assert close_in_meaning([0.88, 0.86, 0.72, 0.74, 0.73]) == [True, True, False, False, False]
    # a single memory is compared with the typical unrelated similarity
    assert close_in_meaning([0.86]) == [True]
    assert close_in_meaning([0.80]) == [False]
    assert close_in_meaning([]) == []


def test_the_search_top_results_count_when_meaning_agrees():
    # cross-language matches stand out less: the first ranked ones count if meaning agrees
    ranked = [0.835, 0.83, 0.80, 0.79, 0.79, 0.78]
    assert close_in_meaning(ranked) == [True, True, False, False, False, False]
    # the same similarity lower in the ranking does not
    assert close_in_meaning([0.79, 0.78, 0.80, 0.835, 0.79, 0.78]) == [False] * 6


def test_only_a_rare_term_makes_a_match_telling():
    query = "What did Caroline do at pottery?"
    pottery = highlight("Caroline: I went to a pottery class", query, rare={"pottery"})
    hiking = highlight("Caroline: I went hiking", query, rare={"pottery"})
    assert (pottery.terms, pottery.telling) == (("Caroline", "pottery"), True)
    assert (hiking.terms, hiking.telling) == (("Caroline",), False)
    assert highlight("私はピーナッツアレルギーです", "ピーナッツ", rare={"ピー"}).telling
    assert not highlight("私はピーナッツアレルギーです", "ピーナッツ", rare=set()).telling
