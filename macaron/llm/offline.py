"""The offline provider: no model, no network, deterministic. The default, and the tests' provider.

- `stream_chat` composes a short reply from English or Japanese templates: it reflects what the
  person said (a key phrase and its mood), recalls the most relevant memory it was given, and
  asks a follow-up question. The companion's traits choose among template variants and a hash of
  the input picks one, so the same conversation always gets the same reply. With no user message
  yet it opens the conversation from the person's interests.
- `complete_json` answers nothing (an `LLMError`): every feature that wants JSON has its own
  offline path (the gate, the offline router, the catalogue builder) and asks only a model.
- `summarise` is the one extractive summariser (`macaron.text.extractive_summary`).
"""

import hashlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

from macaron.text import CJK_RE, extractive_summary, split_sentences

from .base import (
    ChatMessage,
    CompanionContext,
    LLMError,
    last_user_text,
)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# -- tone ---------------------------------------------------------------------------------------

TONES = ("warm", "playful", "calm", "curious")
TRAIT_TONES = {
    "warm": "warm",
    "kind": "warm",
    "caring": "warm",
    "affectionate": "warm",
    "supportive": "warm",
    "やさしい": "warm",
    "優しい": "warm",
    "playful": "playful",
    "cheerful": "playful",
    "funny": "playful",
    "energetic": "playful",
    "bubbly": "playful",
    "元気": "playful",
    "明るい": "playful",
    "calm": "calm",
    "gentle": "calm",
    "patient": "calm",
    "serene": "calm",
    "thoughtful": "calm",
    "穏やか": "calm",
    "落ち着いた": "calm",
    "curious": "curious",
    "inquisitive": "curious",
    "adventurous": "curious",
    "witty": "curious",
    "好奇心旺盛": "curious",
}

# -- mood ---------------------------------------------------------------------------------------

POSITIVE_EN = _wordset(
    "happy glad great awesome amazing love loved lovely fun excited exciting wonderful good nice "
    "enjoyed enjoy fantastic proud yay beautiful delicious relaxing relaxed won passed best "
    "perfect thrilled grateful cool"
)
NEGATIVE_EN = _wordset(
    "sad tired exhausted stressed stress stressful angry upset worried anxious bad awful "
    "terrible sick hurt hurts pain lonely failed hate annoyed frustrated cry cried scared afraid "
    "depressed headache ill rough hard difficult worst broke broken miss"
)
POSITIVE_JA = _wordset(
    "嬉しい うれしい 楽しい 楽しかった たのしい 好き よかった 良かった 最高 幸せ 美味しい "
    "おいしい わくわく ワクワク 合格 できた やった"
)
NEGATIVE_JA = _wordset(
    "悲しい かなしい 疲れ つかれ つらい 辛い しんどい 不安 心配 怒 嫌 寂しい さみしい 痛 "
    "落ち込 ストレス 最悪 泣 風邪 具合が悪 大変"
)

# -- templates (tones, text); {phrase} is the reflected key phrase -----------------------------

ACK = {
    "en": {
        "positive": [
            (("warm",), "Oh, {phrase}! That makes me really happy to hear."),
            (("warm",), "I love that {phrase}."),
            (("playful",), "Yay! {Phrase}? That's awesome!"),
            (("playful",), "Ooh, {phrase}! Now that's the good stuff."),
            (("calm",), "{Phrase}. That sounds lovely."),
            (("curious",), "Ooh, {phrase}? Tell me everything!"),
        ],
        "negative": [
            (("warm",), "Oh no, {phrase}… I'm sorry, that sounds really hard."),
            (("warm",), "Thank you for telling me that {phrase}. That can't be easy."),
            (("calm",), "{Phrase}. That sounds heavy; it's okay to take it slowly."),
            (("playful",), "Aw, {phrase}… sending you a big hug."),
            (("curious",), "Hmm, {phrase}… that sounds tough."),
        ],
        "question": [
            (("warm",), "Good question. Let's think about it together."),
            (("calm",), "Let me think about that with you."),
            (("playful",), "Ooh, a puzzle! I like it."),
            (("curious",), "Hmm, good question! I've been wondering about that too."),
        ],
        "neutral": [
            (("warm",), "Thanks for telling me that {phrase}."),
            (("calm",), "I see, {phrase}."),
            (("playful",), "Oh, {phrase}? Noted!"),
            (("curious",), "Oh, {phrase}? Interesting!"),
        ],
    },
    "ja": {
        "positive": [
            (("warm",), "「{phrase}」って、すてきだね！聞いてるこっちまでうれしくなるよ。"),
            (("playful",), "わーい！「{phrase}」って、最高じゃん！"),
            (("calm",), "「{phrase}」、いいね。穏やかな気持ちになるよ。"),
            (("curious",), "おお、「{phrase}」って、もっと聞きたいな！"),
        ],
        "negative": [
            (("warm",), "「{phrase}」って…それはつらかったね。話してくれてありがとう。"),
            (("calm",), "「{phrase}」…そうだったんだね。無理しないでね。"),
            (("playful",), "えーっ、「{phrase}」って大変だったね。ぎゅーってしてあげたい！"),
            (("curious",), "「{phrase}」って、それは大変だったね。"),
        ],
        "question": [
            (("warm",), "いい質問だね。一緒に考えよう。"),
            (("calm",), "ゆっくり一緒に考えてみようか。"),
            (("playful",), "おっ、いい質問！"),
            (("curious",), "それ、私も気になる！"),
        ],
        "neutral": [
            (("warm",), "「{phrase}」って教えてくれてありがとう。"),
            (("calm",), "なるほど、「{phrase}」かあ。"),
            (("playful",), "へえ、「{phrase}」！おもしろいね。"),
            (("curious",), "「{phrase}」って、気になるな！"),
        ],
    },
}

RECALL = {
    "en": (
        [
            "You told me {memory}.",
            "I remember you told me {memory}.",
            "That reminds me: you told me {memory}.",
        ],
        [
            "I remember what you told me: {memory}.",
            "That reminds me of something you told me: {memory}.",
        ],
    ),
    "ja": (
        [
            "そういえば、「{memory}」って言ってたよね。",
            "「{memory}」って言ってたよね、ちゃんと覚えてるよ。",
        ],
        [
            "そういえば、「{memory}」って言ってたよね。",
            "「{memory}」って言ってたよね、ちゃんと覚えてるよ。",
        ],
    ),
}

QUESTIONS = {
    "en": {
        "positive": ["What was the best part?", "How did that feel?", "What made it so good?"],
        "negative": [
            "Do you want to tell me more about it?",
            "What would help a little right now?",
            "How are you feeling now?",
        ],
        "question": [
            "What do you think yourself?",
            "What would you like to happen?",
            "What matters most to you here?",
        ],
        "neutral": ["What happened next?", "How do you feel about it?", "What was it like?"],
    },
    "ja": {
        "positive": [
            "いちばんよかったのはどんなところ？",
            "そのとき、どんな気持ちだった？",
            "誰と一緒だったの？",
        ],
        "negative": [
            "よかったら、もう少し話してくれる？",
            "今、少しでも楽になれそうなことってある？",
            "今はどんな気分？",
        ],
        "question": [
            "あなたはどう思う？",
            "どうなったらうれしい？",
            "いちばん大事にしたいことは何？",
        ],
        "neutral": [
            "それで、どうなったの？",
            "それについてどう思ってる？",
            "もう少し詳しく教えてくれる？",
        ],
    },
}

OPENERS: dict[str, dict[str, Any]] = {
    "en": {
        "hello": "Hi {name}! I'm {companion}.",
        "hello_anonymous": "Hi! I'm {companion}.",
        "interest": [
            "I heard you're into {interest}.",
            "You like {interest}, right? I'd love to hear about it.",
        ],
        "interest_question": [
            "What got you into {interest}?",
            "What's your favourite thing about {interest}?",
        ],
        "question": ["How has your day been?", "What's on your mind today?"],
    },
    "ja": {
        "hello": "こんにちは、{name}さん！{companion}だよ。",
        "hello_anonymous": "こんにちは！{companion}だよ。",
        "interest": ["{interest}が好きなんだよね。", "{interest}が好きって聞いたよ。"],
        "interest_question": [
            "{interest}のどんなところが好き？",
            "{interest}を始めたきっかけは何？",
        ],
        "question": ["今日はどんな一日だった？", "最近、どうしてる？"],
    },
}

# -- English reflection ("I went" → "you went") -------------------------------------------------

REFLECT_PAIRS = {
    ("i", "was"): "you were",
    ("i", "am"): "you are",
    ("you", "are"): "I am",
    ("you", "were"): "I was",
}
REFLECT = {
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "i'm": "you're",
    "i've": "you've",
    "i'll": "you'll",
    "i'd": "you'd",
    "we": "you",
    "our": "your",
    "us": "you",
    "you": "me",
    "your": "my",
    "yours": "mine",
    "yourself": "myself",
    "you're": "I'm",
    "you've": "I've",
}
LOWER_STARTERS = _wordset(
    "the a an my your our we it this that there so just finally today yesterday tonight "
    "last next me he she they his her their some all remind tell help please can could would "
    "should do did does is are was were what how why when where who which went had got made "
    "still also maybe actually honestly well yes no ok okay oh hey hi hello thanks work school "
    "lunch dinner breakfast"
)
CLAUSE_VERBS = _wordset(
    "is are was were am have has had love loves like likes want wants went go goes don't "
    "doesn't can't won't will would hate hates prefer prefers need needs live lives work works "
    "play plays got get gets feel feels"
)
PRONOUN_STARTS = _wordset("i i'm i've my we our me")
STOPWORDS = _wordset(
    "the and for that this with you your was were are have has had but not just about from "
    "they them then there what when where which will would could should into onto out very "
    "really some more much been being its it's i'm i've"
)


class OfflineProvider:
    name = "offline"

    def stream_chat(
        self, messages: list[ChatMessage], *, context: CompanionContext | None = None
    ) -> Iterator[str]:
        context = context or CompanionContext()
        language = "ja" if context.language == "ja" else "en"
        reply = compose_reply(messages, context)
        yield from _chunks(reply, language)

    def complete_json(self, messages: list[ChatMessage], *, schema: dict) -> dict:
        # Every feature that asks for JSON (extraction, routing, the builder, sub-agent chat)
        # has its own offline path and asks only a configured model; offline there is no answer.
        raise LLMError(reason="unavailable")

    def summarise(self, texts: list[str], *, max_words: int = 80, language: str = "en") -> str:
        return extractive_summary(texts, max_words=max_words)  # the one summariser (macaron.text)


# -- chat ---------------------------------------------------------------------------------------


def compose_reply(messages: list[ChatMessage], context: CompanionContext) -> str:
    """The whole offline reply (what `stream_chat` yields in pieces)."""
    language = "ja" if context.language == "ja" else "en"
    text = " ".join(last_user_text(messages).split())
    seed = "|".join(
        [text, ",".join(context.traits), context.companion_name, context.person_name, language]
    )
    tones = _tones(context.traits)
    joiner = "" if language == "ja" else " "
    if not text:
        return joiner.join(_opening(context, language, seed))

    mood = _mood(text)
    phrase = _key_phrase(text, language)
    if not phrase and mood != "question":
        mood = "neutral"
    templates = ACK[language][mood]
    variants = [t for tags, t in templates if set(tags) & tones] or [t for _, t in templates]
    if not phrase:  # nothing to reflect (only punctuation, say): skip what would quote it
        variants = [t for t in variants if "{phrase}" not in t.lower()]
    parts = []
    if variants:
        ack = _pick(variants, seed, "ack")
        parts.append(ack.replace("{phrase}", phrase).replace("{Phrase}", _capitalise(phrase)))

    if context.memories:
        parts.append(_recall(_relevant_memory(context.memories, text), language, seed))

    question = _pick(QUESTIONS[language][mood], seed, "question")
    parts.append(_address(question, context.person_name, language, seed))
    return joiner.join(parts)


def _opening(context: CompanionContext, language: str, seed: str) -> list[str]:
    templates = OPENERS[language]
    hello = templates["hello" if context.person_name else "hello_anonymous"]
    parts = [hello.format(name=context.person_name, companion=context.companion_name)]
    if context.memories:
        parts.append(_recall(context.memories[0], language, seed))
    if context.interests:
        interest = _pick(list(context.interests), seed, "interest")
        parts.append(_pick(templates["interest"], seed, "intro").format(interest=interest))
        parts.append(_pick(templates["interest_question"], seed, "q").format(interest=interest))
    else:
        parts.append(_pick(templates["question"], seed, "q"))
    return parts


def _tones(traits: tuple[str, ...]) -> set[str]:
    tones = {TRAIT_TONES[t.strip().lower()] for t in traits if t.strip().lower() in TRAIT_TONES}
    return tones or set(TONES)


def _mood(text: str) -> str:
    lowered = text.lower()
    words = set(re.findall(r"[a-z']+", lowered))
    negative = len(words & NEGATIVE_EN) + sum(cue in text for cue in NEGATIVE_JA)
    positive = len(words & POSITIVE_EN) + sum(cue in text for cue in POSITIVE_JA)
    if negative and negative >= positive:
        return "negative"
    if positive:
        return "positive"
    if text.rstrip().endswith(("?", "？")):
        return "question"
    return "neutral"


def _key_phrase(text: str, language: str) -> str:
    first = next(iter(split_sentences(text)), text)
    if language == "ja":
        phrase = re.sub(r"^(?:私|わたし|僕|ぼく|俺|おれ|あたし)(?:は|も|が)、?", "", first)
        phrase = phrase.rstrip("。.!！?？…‥ 　")
        phrase = re.sub(r"(?:[よねなわのさぞぜー～〜w]|笑)+$", "", phrase) or phrase
        return phrase if len(phrase) <= 24 else phrase[:23] + "…"
    phrase = first.rstrip(".!?… ")
    words = phrase.split()
    if len(words) > 12:
        clause = re.split(r"[,;:—–]", phrase)[0].strip()
        phrase = clause if len(clause.split()) <= 12 else " ".join(words[:10]) + "…"
    return reflect(phrase)


def reflect(phrase: str) -> str:
    """Swap first and second person ("I missed my train" → "you missed your train")."""
    tokens = re.findall(r"[A-Za-z']+|[^A-Za-z']+", phrase.replace("’", "'"))
    out: list[str] = []
    index = 0
    while index < len(tokens):
        token, lower = tokens[index], tokens[index].lower()
        after = tokens[index + 2].lower() if index + 2 < len(tokens) else ""
        spaced = index + 1 < len(tokens) and tokens[index + 1] == " "
        if spaced and (lower, after) in REFLECT_PAIRS:
            out.append(REFLECT_PAIRS[(lower, after)])
            index += 3
            continue
        out.append(REFLECT.get(lower, token))
        index += 1
    result = "".join(out)
    if result.split(" ", 1)[0].lower() in LOWER_STARTERS:
        result = result[:1].lower() + result[1:]
    return result


def _relevant_memory(memories: tuple[str, ...], text: str) -> str:
    wanted = _terms(text)
    best, best_score = memories[0], 0
    for memory in memories:
        score = len(wanted & _terms(memory))
        if score > best_score:
            best, best_score = memory, score
    return best


def _terms(text: str) -> set[str]:
    words = {w for w in re.findall(r"[a-z0-9']+", text.lower()) if len(w) > 2} - STOPWORDS
    stems = {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words}
    cjk = "".join(CJK_RE.findall(text))
    return stems | {cjk[i : i + 2] for i in range(len(cjk) - 1)}


def _recall(memory: str, language: str, seed: str) -> str:
    memory = memory.strip().rstrip("。.!！ ")
    clauses, fragments = RECALL[language]
    if language == "ja":
        return _pick(clauses, seed, "recall").format(memory=memory)
    first = memory.split(" ", 1)[0].lower()
    words = set(re.findall(r"[a-z']+", memory.lower()))
    if first in PRONOUN_STARTS or words & CLAUSE_VERBS:
        return _pick(clauses, seed, "recall").format(memory=reflect(memory))
    return _pick(fragments, seed, "recall").format(memory=memory)


def _address(question: str, person_name: str, language: str, seed: str) -> str:
    if not person_name or _pick([False, True], seed, "address") is False:
        return question
    if language == "ja":
        return f"{person_name}さん、{question}"
    return f"{question[:-1]}, {person_name}?"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pick(options: Sequence[Any], seed: str, salt: str) -> Any:
    digest = hashlib.sha256(f"{salt}|{seed}".encode()).digest()
    return options[int.from_bytes(digest[:8], "big") % len(options)]


def _chunks(reply: str, language: str) -> Iterator[str]:
    """Word groups (three words; up to eight characters in Japanese) that join to the reply."""
    if language == "ja":
        piece = ""
        for char in reply:
            piece += char
            if char in "。、！？」" or len(piece) >= 8:
                yield piece
                piece = ""
        if piece:
            yield piece
        return
    words = re.findall(r"\s*\S+", reply)
    for start in range(0, len(words), 3):
        yield "".join(words[start : start + 3])
