"""Domain tags: keyword cues (several languages) first, embedding prototypes as the fallback."""

import re
from functools import cache

import numpy as np

from macaron.embeddings import get_embedder

DOMAIN_CUES: dict[str, str] = {
    "food": r"food|eat|ate|meal|cook|recipe|dinner|lunch|breakfast|restaurant|snack|vegan|"
    r"vegetarian|pizza|pasta|coffee|tea|wine|beer|calorie|protein|diet|bake|kitchen|"
    r"料理|食べ|ご飯|朝ごはん|昼ごはん|晩ごはん|음식|먹|요리|식사",
    "fitness": r"workout|gym|run|running|ran|jog|yoga|swim|hike|hiking|bike|cycling|exercise|"
    r"training|marathon|tennis|football|soccer|basketball|lift|squat|steps|sport|"
    r"運動|ジム|ランニング|筋トレ|운동|헬스|달리기",
    "health": r"health|doctor|sick|ill|allerg|medicine|medication|pill|sleep|headache|injur|"
    r"hospital|therapy|therapist|anxiety|depress|pain|surgery|diagnos|blood|vitamin|water|"
    r"hydrat|病院|薬|アレルギー|睡眠|병원|약|알레르기|수면",
    "travel": r"travel|trip|flight|fly|flew|hotel|vacation|holiday|beach|abroad|visit|tour|"
    r"passport|airport|camping|road trip|旅行|飛行機|ホテル|여행|비행기|호텔",
    "finance": r"money|budget|salary|pay|paid|bank|invest|saving|spend|spent|rent|loan|debt|"
    r"price|cost|expensive|cheap|tax|お金|予算|給料|돈|예산|월급",
    "relationships": r"friend|family|mom|mother|dad|father|sister|brother|husband|wife|partner|"
    r"boyfriend|girlfriend|kid|kids|child|children|son|daughter|wedding|married|date|dating|"
    r"grandma|grandpa|友達|家族|母|父|彼氏|彼女|친구|가족|엄마|아빠",
    "work": r"work|job|boss|office|career|colleague|coworker|meeting|project|client|promotion|"
    r"interview|business|startup|company|仕事|会社|上司|일|회사|직장",
    "study": r"study|school|class|course|exam|test|university|college|degree|homework|learn|"
    r"lesson|teacher|student|research|thesis|勉強|学校|試験|大学|공부|학교|시험|대학",
    "hobbies": r"hobby|paint|painting|draw|music|guitar|piano|sing|concert|book|read|reading|"
    r"novel|game|gaming|movie|film|photograph|garden|craft|knit|dance|art|pottery|instrument|"
    r"趣味|音楽|映画|読書|취미|음악|영화|독서",
}
DOMAINS = list(DOMAIN_CUES)
_CUE_RES = {
    domain: re.compile(rf"(?<![^\W\d_])(?:{pattern})", re.IGNORECASE)
    for domain, pattern in DOMAIN_CUES.items()
}

PROTOTYPES = {
    "food": "food, cooking, meals, recipes and restaurants",
    "fitness": "exercise, workouts, sports and training",
    "health": "health, illness, allergies, medicine, sleep and wellbeing",
    "travel": "travel, trips, flights, hotels and holidays",
    "finance": "money, budget, spending, saving and bills",
    "relationships": "family, friends, partner, children and relationships",
    "work": "job, work, career, colleagues and office",
    "study": "studying, school, courses, exams and learning",
    "hobbies": "hobbies, music, art, books, games and movies",
}
PROTOTYPE_MARGIN = 0.015


@cache
def _prototype_matrix(model_name: str) -> np.ndarray:
    embedder = get_embedder()
    return embedder.embed_documents([PROTOTYPES[d] for d in DOMAINS])


def domain_prototypes_warm_up() -> None:
    """Build the prototype vectors now (at process start) instead of on the first memory."""
    _prototype_matrix(get_embedder().name)


def tag_domains(text: str, embedding: np.ndarray | None = None) -> list[str]:
    """Domains named by keyword cues; without any cue, the closest prototype if clearly closest."""
    tagged = [domain for domain, cue in _CUE_RES.items() if cue.search(text)]
    if tagged or embedding is None:
        return tagged
    sims = _prototype_matrix(get_embedder().name) @ embedding
    order = np.argsort(-sims)
    if sims[order[0]] - sims[order[1]] >= PROTOTYPE_MARGIN:
        return [DOMAINS[int(order[0])]]
    return []
