"""Language-neutral dense similarity, so a memory said in one language is found by a question
in another.

A multilingual encoder puts a component of the language itself into every vector: two unrelated
sentences in Japanese are closer than the same sentence in Japanese and English. Subtracting
each language's centroid removes it (Libovický et al., 2020, "On the language neutrality of
pre-trained multilingual representations"). The centroids here come from the same everyday
sentences written in every supported language, so what they share (the topics) cancels and only
the language is left. Passages and queries are encoded differently (e5's "passage:"/"query:"),
so each has its own centroids. A language without centroids uses English's: the Latin-script
languages are close to it, and short English lines are often detected as something else.
"""

from functools import cache

import numpy as np

from macaron.embeddings import get_embedder
from macaron.text import writing_system

# The same statements in each language (one topic per line across the three lists).
PARALLEL_STATEMENTS: dict[str, tuple[str, ...]] = {
    "en": (
        "I had a long day at the office today.",
        "We went to the park with the children on Sunday.",
        "My brother lives in another city now.",
        "I usually drink a cup of coffee in the morning.",
        "It was cold and rainy all week.",
        "I finished reading a novel last night.",
        "A friend is coming to stay next weekend.",
        "I have to see the dentist on Thursday.",
        "We cooked dinner together at home.",
        "I bought a new bicycle last month.",
        "The train was late again this morning.",
        "I want to save money for a holiday.",
        "My mother's birthday is at the end of the month.",
        "I started learning to draw.",
        "The new project at work is going well.",
        "I moved to a flat near the station.",
    ),
    "ja": (
        "今日はオフィスで長い一日だった。",
        "日曜日に子どもたちと公園に行った。",
        "兄は今、別の町に住んでいる。",
        "朝はたいていコーヒーを一杯飲む。",
        "今週はずっと寒くて雨だった。",
        "昨日の夜、小説を読み終えた。",
        "来週末、友達が泊まりに来る。",
        "木曜日に歯医者に行かないといけない。",
        "家で一緒に晩ご飯を作った。",
        "先月、新しい自転車を買った。",
        "今朝も電車が遅れた。",
        "休暇のためにお金を貯めたい。",
        "母の誕生日は月末だ。",
        "絵を描くのを習い始めた。",
        "仕事の新しいプロジェクトは順調だ。",
        "駅の近くのアパートに引っ越した。",
    ),
    "ko": (
        "오늘은 사무실에서 긴 하루였어.",
        "일요일에 아이들과 공원에 갔어.",
        "형은 지금 다른 도시에 살아.",
        "아침에는 보통 커피를 한 잔 마셔.",
        "이번 주 내내 춥고 비가 왔어.",
        "어젯밤에 소설을 다 읽었어.",
        "다음 주말에 친구가 자고 갈 거야.",
        "목요일에 치과에 가야 해.",
        "집에서 같이 저녁을 만들었어.",
        "지난달에 새 자전거를 샀어.",
        "오늘 아침에도 기차가 늦었어.",
        "휴가를 위해 돈을 모으고 싶어.",
        "엄마 생신은 이번 달 말이야.",
        "그림 그리는 걸 배우기 시작했어.",
        "회사의 새 프로젝트는 잘 되고 있어.",
        "역 근처 아파트로 이사했어.",
    ),
}
PARALLEL_QUESTIONS: dict[str, tuple[str, ...]] = {
    "en": (
        "What did I do at the weekend?",
        "Where does my brother live?",
        "What do I drink in the morning?",
        "When is my dentist appointment?",
        "Who is coming to stay?",
        "What did I buy last month?",
        "How was the weather this week?",
        "What am I saving money for?",
        "When is my mother's birthday?",
        "What did I start learning?",
        "How is the project at work going?",
        "Where did I move to?",
    ),
    "ja": (
        "週末に何をした？",
        "兄はどこに住んでいる？",
        "朝は何を飲む？",
        "歯医者の予約はいつ？",
        "誰が泊まりに来る？",
        "先月何を買った？",
        "今週の天気はどうだった？",
        "何のためにお金を貯めている？",
        "母の誕生日はいつ？",
        "何を習い始めた？",
        "仕事のプロジェクトはどう？",
        "どこに引っ越した？",
    ),
    "ko": (
        "주말에 뭐 했어?",
        "형은 어디에 살아?",
        "아침에 뭘 마셔?",
        "치과 예약은 언제야?",
        "누가 자고 가?",
        "지난달에 뭘 샀어?",
        "이번 주 날씨는 어땠어?",
        "무엇을 위해 돈을 모으고 있어?",
        "엄마 생신은 언제야?",
        "뭘 배우기 시작했어?",
        "회사 프로젝트는 어떻게 되고 있어?",
        "어디로 이사했어?",
    ),
}
CENTRED_LANGUAGES = tuple(PARALLEL_STATEMENTS)
FALLBACK = "en"


def language_group(language: str) -> str:
    """The centroid a text of `language` is measured against (its own, else English's)."""
    return language if language in PARALLEL_STATEMENTS else FALLBACK


def text_language_group(text: str) -> str:
    """`language_group(detect_language(text))` from the script alone: only Japanese and Korean
    have centroids of their own, and the script tells them apart, so no language detector
    (several milliseconds a call) runs on the read path or for a reply's context."""
    script = writing_system(text)
    return script if script in ("ja", "ko") else FALLBACK


@cache
def _centroids(model_name: str) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    embedder = get_embedder()
    passages = {
        lang: embedder.embed_documents(list(texts)).mean(axis=0)
        for lang, texts in PARALLEL_STATEMENTS.items()
    }
    queries = {
        lang: np.stack([embedder.embed_query(text) for text in texts]).mean(axis=0)
        for lang, texts in PARALLEL_QUESTIONS.items()
    }
    return passages, queries


def language_centroids() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(passage centroids, query centroids) by language, in the model's plain space."""
    return _centroids(get_embedder().name)


def language_centroids_warm_up() -> None:
    """Build the centroids at process start instead of on the first search."""
    language_centroids()


def neutral_similarities(
    query: np.ndarray,
    query_language: str,
    vectors: np.ndarray,
    languages: list[str],
    passage_centroids: dict[str, np.ndarray],
    query_centroids: dict[str, np.ndarray],
) -> np.ndarray:
    """Similarity of `query` to each row of `vectors` with each side's language centroid taken
    away (the memory side renormalised, so a short, generic memory close to every question of
    its language stops winning by default). The centroids must be in the same (keyed) space as
    the vectors."""
    if not len(vectors):
        return np.zeros(0, dtype=np.float32)
    centred_query = query - query_centroids[language_group(query_language)]
    centred = vectors - np.stack([passage_centroids[language_group(lang)] for lang in languages])
    norms = np.linalg.norm(centred, axis=1)
    norms[norms == 0] = 1.0
    return (centred @ centred_query) / norms
