from macaron.text import (
    count_tokens,
    count_words,
    extractive_pick,
    extractive_summary,
    search_terms,
    split_sentences,
    text_windows,
    writing_system,
)


def test_extractive_pick_takes_the_best_that_fit_in_original_order():
    scores = [0.2, 0.9, 0.5, 0.9, 0.1]
    sizes = [1, 5, 3, 6, 1]
    # by score: 1 (5), 3 (6: over budget), 2 (3), 0 (1) = 9; then 4 would not fit
    assert extractive_pick(scores, sizes, budget=9) == [0, 1, 2]
    assert extractive_pick(scores, sizes, budget=9, min_score=0.3) == [1, 2]
    assert extractive_pick(scores, sizes, budget=0) == []


def test_offline_summary_keeps_the_telling_sentences():
    summary = extractive_summary(
        ["Nice weather. My sister Aiko visits on 12 March. Anyway.", "I love jazz!"],
        max_words=10,
    )
    assert summary == "My sister Aiko visits on 12 March. I love jazz!"
    assert count_words(summary) == 10


def test_one_sentence_splitter_for_latin_and_japanese():
    assert split_sentences("Hi. 今日は晴れ。明日は雨！ Bye") == [
        "Hi.",
        "今日は晴れ。",
        "明日は雨！",
        "Bye",
    ]


def test_search_terms_are_whole_words_and_cjk_bigrams():
    # Every word (stopwords too), casefolded, possessive and apostrophes dropped, lightly stemmed.
    assert search_terms("I LOVE Kenji's peanuts, don't I?") == [
        "i",
        "love",
        "kenji",
        "peanut",
        "dont",
    ]
    assert search_terms("Ｗｅｅｋｅｎｄ") == ["weekend"]  # NFKC: full-width letters
    # An indexed CJK run gives its characters and bigrams; a query its bigrams only.
    assert search_terms("東京へ") == ["東", "京", "へ", "東京", "京へ"]
    assert search_terms("東京", query=True) == ["東京"]
    assert search_terms("猫", query=True) == ["猫"]
    assert search_terms("김치를 좋아해", query=True) == ["김치", "치를", "좋아", "아해"]
    assert search_terms("?! …") == []


def test_text_windows_cut_unpunctuated_text_by_tokens_and_characters():
    text = "my sister Hana lives in Lisbon " * 100
    windows = text_windows(text, max_tokens=80, max_chars=1000)
    assert [count_tokens(w) for w in windows] == [80] * 7 + [40]
    assert " ".join(windows) == text.strip()

    japanese = "妹はリスボンに住んでいます" * 20  # 13 tokens each: one per character
    assert [count_tokens(w) for w in text_windows(japanese, max_tokens=80, max_chars=1000)] == [
        80,
        80,
        80,
        20,
    ]

    # A "word" of 2,000 characters is cut anywhere; elsewhere at the last space that fits.
    long = "my " + "a" * 2000
    assert [len(w) for w in text_windows(long, max_tokens=80, max_chars=600)] == [
        600,
        600,
        600,
        203,
    ]
    spaced = "abcdefghi " * 100
    assert {len(w) for w in text_windows(spaced, max_tokens=80, max_chars=55)} == {49}


def test_writing_system_tells_the_scripts_apart():
    assert writing_system("私は猫を二匹飼っています。") == "ja"
    assert writing_system("저는 간호사예요") == "ko"
    assert writing_system("我喜欢猫") == "han"
    assert writing_system("I like green tea 🍵") == "latin"
