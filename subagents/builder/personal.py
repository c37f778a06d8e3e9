"""What the person's memories say that a new tool should respect (allergies, diet, injuries,
household size), read through memory retrieval with the sub-agent purpose so privacy policies
apply (`share_with_subagents: false` and secret memories never arrive here). A fact only shapes
a spec whose memory.reads include one of the memory's domains."""

import re
from dataclasses import dataclass, field

from memory.retrieval import retrieve
from subagents.builder.grammar import normalise_numbers

QUERIES = (
    "allergies, allergic to food, diet, vegetarian or vegan",
    "injury, injured knee or back, pain, physical limits",
    "family, household, how many people live at home, kids",
)
K = 8

ALLERGY_EN = re.compile(r"allergic to ([a-z][a-z ,&-]{1,40}?)(?=[.;!?]|$|\s+(?:and i|but|so)\b)")
ALLERGY_EN_2 = re.compile(r"\b((?!an\b|food\b|a\b|severe\b|bad\b)[a-z]+) allerg(?:y|ies)\b")
ALLERGY_JA = re.compile(r"([ァ-ヶー\u4e00-\u9fff]+)(?:の)?アレルギー")
ALLERGY_KO = re.compile(r"([가-힣]+?)(?:에|이|가)?\s?알레르기")
BODY_PARTS = {
    "knee": r"knees?|膝|ひざ|무릎",
    "back": r"lower back|back|腰|허리",
    "shoulder": r"shoulders?|肩|어깨",
    "ankle": r"ankles?|足首|발목",
    "wrist": r"wrists?|手首|손목",
    "hip": r"hips?|股関節|고관절",
    "elbow": r"elbows?|肘|팔꿈치",
    "neck": r"neck|首|목",
}
INJURY_CUE = re.compile(
    r"injur|hurt|pain|sprain|broke|torn|tear|surgery|operation|bad|weak|sore|problem|recover|"
    r"痛|怪我|ケガ|故障|手術|다쳤|다치|부상|통증|아파|아프|수술"
)
DIETS = {
    "vegan": r"\bvegan\b|ヴィーガン|ビーガン|비건",
    "vegetarian": r"vegetarian|ベジタリアン|菜食|채식",
    "pescatarian": r"pescatarian|ペスカタリアン|페스코",
    "gluten-free": r"gluten[- ]free|coeliac|celiac|グルテンフリー|글루텐",
}
HOUSEHOLD = [
    (
        re.compile(
            r"family of (\d+)|household of (\d+)|(\d+) of us|(\d+)人家族|(\d+)인 가족|(\d+)\s?식구|家族は(\d+)人"
        ),
        0,
    ),
    (
        re.compile(
            r"(\d+) (?:kids|children|sons|daughters)|子ども(?:が)?(\d+)人|子供(?:が)?(\d+)人|아이(?:가)? (\d+)명"
        ),
        2,
    ),
]

TEXTS = {
    "allergy": {
        "en": "The person is allergic to {x}: never suggest {x} or anything that contains it.",
        "ja": "{x}のアレルギーがあります。{x}や{x}を含むものは決して提案しません。",
        "ko": "{x} 알레르기가 있어요. {x}이(가) 들어간 것은 절대 추천하지 않아요.",
    },
    "diet": {
        "en": "They eat {x}: keep every suggestion {x}.",
        "ja": "食事は{x}です。提案はすべて{x}に合わせます。",
        "ko": "식단은 {x}이에요. 모든 추천을 {x}에 맞춰요.",
    },
    "injury": {
        "en": "Mind their {x} (an injury): suggest {x}-friendly alternatives, keep the load "
        "moderate and stop if it hurts.",
        "ja": "{x}をけがしています。{x}に負担の少ない代わりのメニューを提案し、痛みが出たら中止します。",
        "ko": "{x} 부상이 있어요. {x}에 무리가 없는 대안을 제안하고 아프면 멈춰요.",
    },
    "household": {
        "en": "They cook for {x} people.",
        "ja": "{x}人分の食事を作ります。",
        "ko": "{x}인분 식사를 준비해요.",
    },
    "pain_label": {"en": "{x} pain", "ja": "{x}の痛み", "ko": "{x} 통증"},
    "avoid_label": {
        "en": "Avoid (allergies)",
        "ja": "避ける食材（アレルギー）",
        "ko": "피할 재료 (알레르기)",
    },
}
PART_NAMES = {
    "ja": {
        "knee": "膝",
        "back": "腰",
        "shoulder": "肩",
        "ankle": "足首",
        "wrist": "手首",
        "hip": "股関節",
        "elbow": "肘",
        "neck": "首",
    },
    "ko": {
        "knee": "무릎",
        "back": "허리",
        "shoulder": "어깨",
        "ankle": "발목",
        "wrist": "손목",
        "hip": "고관절",
        "elbow": "팔꿈치",
        "neck": "목",
    },
}


@dataclass
class Fact:
    kind: str  # allergy, diet, injury, household
    value: str
    domains: list[str]
    memory_id: int


@dataclass
class Personalisation:
    facts_found: list[Fact] = field(default_factory=list)

    @property
    def facts(self) -> list[str]:
        return [f"{fact.kind}: {fact.value}" for fact in self.facts_found]

    @property
    def memory_ids(self) -> list[int]:
        return sorted({fact.memory_id for fact in self.facts_found})


def _split_list(text: str) -> list[str]:
    parts = re.split(r",\s*|\s+and\s+|\s*&\s*|\s+or\s+", text.strip())
    return [p.strip() for p in parts if p.strip() and len(p.strip()) <= 30]


def facts_from_text(text: str) -> list[tuple[str, str]]:
    """(kind, value) pairs a memory states: "I'm allergic to peanuts" → ("allergy", "peanuts")."""
    lowered = normalise_numbers(text)
    found: list[tuple[str, str]] = []
    for match in ALLERGY_EN.finditer(lowered):
        found += [("allergy", item) for item in _split_list(match.group(1))]
    for match in ALLERGY_EN_2.finditer(lowered):
        found.append(("allergy", match.group(1)))
    for pattern in (ALLERGY_JA, ALLERGY_KO):
        for match in pattern.finditer(text):
            found.append(("allergy", match.group(1)))
    for diet, diet_pattern in DIETS.items():
        if re.search(diet_pattern, lowered) and not re.search(r"\bnot\b|ではない|아니", lowered):
            found.append(("diet", diet))
    if INJURY_CUE.search(lowered):
        for part, part_pattern in BODY_PARTS.items():
            if re.search(rf"(?<![a-z])(?:{part_pattern})(?![a-z])", lowered):
                found.append(("injury", part))
                break
    for pattern, extra in HOUSEHOLD:
        household = pattern.search(lowered)
        if household:
            number = int(next(g for g in household.groups() if g))
            if 1 <= number + extra <= 20:
                found.append(("household", str(number + extra)))
                break
    return list(dict.fromkeys(found))


def personalisation_for(*, user, request: str) -> Personalisation:
    """The facts from this person's memories that a tool built for `request` should respect."""
    seen: set[int] = set()
    result = Personalisation()
    for query in (request[:500], *QUERIES):
        if not query.strip():
            continue
        # A preview of what the new tool would respect: it reads, it does not recall.
        items = retrieve(
            user=user, query=query, k=K, budget=None, purpose="subagent", reinforce=False
        ).items
        for item in items:
            if item.id in seen:
                continue
            seen.add(item.id)
            for kind, value in facts_from_text(item.text):
                result.facts_found.append(Fact(kind, value, list(item.domains), item.id))
    return result


def _say(key: str, language: str, value: str) -> str:
    texts = TEXTS[key]
    return texts.get(language, texts["en"]).format(x=value)


def _choice_in_language(spec: dict, key: str, english: str) -> str | None:
    field = next((f for f in spec["fields"] if f["key"] == key), None)
    if field is None or not field.get("choices"):
        return None
    if english in field["choices"]:
        return english
    original = spec.get("translations", {}).get("en", {}).get("choices", {}).get(key)
    if original and english in original:
        index = original.index(english)
        if index < len(field["choices"]):
            return field["choices"][index]
    return None


def personalise(spec: dict, personal: Personalisation, language: str) -> tuple[dict, list[str]]:
    """The spec with the person's facts in its persona, defaults and fields; the notes say what
    changed. Only facts from domains the spec may read are used."""
    import copy

    spec = copy.deepcopy(spec)
    reads = set(spec["memory"]["reads"])
    domains = set(spec["domains"]) | reads
    facts = [f for f in personal.facts_found if not f.domains or set(f.domains) & reads]
    notes: list[str] = []
    persona: list[str] = []
    fields = {f["key"]: f for f in spec["fields"]}
    allergies = list(dict.fromkeys(f.value for f in facts if f.kind == "allergy"))
    if allergies and "food" in domains:
        listed = ", ".join(allergies)
        persona.append(_say("allergy", language, listed))
        avoid = fields.get("avoid")
        if (
            avoid is None
            and len(spec["fields"]) < 20
            and {"recipe", "ingredients", "food"} & set(fields)
        ):
            avoid = {
                "key": "avoid",
                "label": TEXTS["avoid_label"].get(language, TEXTS["avoid_label"]["en"]),
                "type": "text",
            }
            spec["fields"].append(avoid)
        if avoid is not None and avoid["type"] == "text":
            avoid["default"] = listed[:200]
        notes.append(f"allergy to {listed}: in the persona and the defaults")
    diets = [f.value for f in facts if f.kind == "diet"]
    if diets and "food" in domains:
        persona.append(_say("diet", language, diets[0]))
        choice = _choice_in_language(spec, "diet", diets[0])
        if choice is not None:
            fields["diet"]["default"] = choice
        notes.append(f"{diets[0]} diet: in the persona and the defaults")
    injuries = list(dict.fromkeys(f.value for f in facts if f.kind == "injury"))
    if injuries and "fitness" in domains:
        part = injuries[0]
        name = PART_NAMES.get(language, {}).get(part, part)
        persona.append(_say("injury", language, name))
        if "pain" not in fields and len(spec["fields"]) < 20:
            label = _say("pain_label", language, name)
            spec["fields"].append(
                {
                    "key": "pain",
                    "label": label[:1].upper() + label[1:60],
                    "type": "integer",
                    "min": 0,
                    "max": 10,
                }
            )
        notes.append(f"{part} injury: in the persona and a pain field")
    households = [int(f.value) for f in facts if f.kind == "household"]
    if households and "servings" in fields and "food" in domains:
        size = households[0]
        servings = fields["servings"]
        if servings.get("min", 1) <= size <= servings.get("max", 20):
            servings["default"] = size
            persona.append(_say("household", language, str(size)))
            notes.append(f"household of {size}: default servings")
    if persona:
        spec["persona"] = (spec["persona"] + " " + " ".join(persona)).strip()[:1000]
    return spec, notes
