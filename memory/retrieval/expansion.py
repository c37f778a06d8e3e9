"""Query expansion: a question about a topic also looks for its usual sub-topics.

A person asking about the fireworks festival probably cares about tickets, the date and the
weather; asking about kids, about their sons and daughters. Expansion terms join the lexical
channel at a fraction of a query term's weight, so they can surface a memory but never
outrank what the question itself names.
"""

from macaron.text import lexical_terms

EXPANSION_WEIGHT = 0.3

SUBTOPICS: dict[str, tuple[str, ...]] = {
    "festival": ("tickets", "date", "weather", "fireworks"),
    "concert": ("tickets", "band", "music", "show"),
    "birthday": ("party", "gift", "cake", "celebrate"),
    "wedding": ("ceremony", "dress", "guests", "married"),
    "trip": ("travel", "flight", "hotel", "vacation"),
    "vacation": ("trip", "travel", "holiday", "beach"),
    "holiday": ("trip", "vacation", "travel"),
    "allergy": ("allergic", "allergies", "intolerance", "reaction"),
    "allergic": ("allergy", "allergies", "intolerance"),
    "diet": ("food", "eat", "meal", "calories"),
    "exercise": ("workout", "gym", "run", "training"),
    "workout": ("exercise", "gym", "training", "lift"),
    "job": ("work", "career", "office", "boss"),
    "career": ("job", "work", "profession"),
    "kids": ("children", "son", "daughter", "family"),
    "children": ("kids", "son", "daughter"),
    "family": ("kids", "husband", "wife", "parents", "mom", "dad"),
    "pet": ("dog", "cat", "puppy", "kitten"),
    "pets": ("dog", "cat", "puppy", "kitten"),
    "hobby": ("hobbies", "painting", "music", "reading"),
    "hobbies": ("hobby", "painting", "music", "reading"),
    "music": ("song", "instrument", "concert", "band"),
    "art": ("painting", "drawing", "artwork", "exhibition"),
    "sleep": ("bed", "tired", "insomnia", "rest"),
    "stress": ("relax", "anxiety", "destress", "calm"),
    "money": ("budget", "savings", "spend", "salary"),
    "school": ("class", "teacher", "exam", "study"),
    "花火大会": ("チケット", "日程", "天気"),
    "誕生日": ("パーティー", "プレゼント", "ケーキ"),
    "旅行": ("ホテル", "飛行機", "予約"),
    "김치전": ("요리", "레시피", "재료"),
    "여행": ("호텔", "비행기", "예약"),
}
_INDEX = {key.casefold(): value for key, value in SUBTOPICS.items()}


def expansion_terms(query: str) -> list[str]:
    """Index terms of the sub-topics of what the query names (not the query's own terms)."""
    own = set(lexical_terms(query))
    words = {word.casefold() for word in query.replace("?", " ").split()}
    found: list[str] = []
    for key, related in _INDEX.items():
        if key in words or (not key.isascii() and key in query):
            for term in lexical_terms(" ".join(related)):
                if term not in own and term not in found:
                    found.append(term)
    return found
