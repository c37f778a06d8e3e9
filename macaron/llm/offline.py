"""The offline provider: no model, no network, deterministic. The default, and the tests' provider.

- `stream_chat` composes a short reply from English, Japanese or Korean templates: a question
  about something the person said is answered first, from the most relevant memory and its
  date ("You're allergic to peanuts — you told me on 30 November."), or honestly not; a
  statement is acknowledged (its key phrase reflected, its mood answered) and tied to a related
  memory; at most one follow-up question ends the reply. The companion's traits prefer some
  template variants, variants already used in the window's earlier replies are skipped, and a
  hash of the input picks one, so the same conversation always gets the same reply. With no
  user message yet it opens the conversation from the person's interests.
- `complete_json` answers nothing (an `LLMError`): every feature that wants JSON has its own
  offline path (the gate, the offline router, the catalogue builder) and asks only a model.
- `summarise` is the one extractive summariser (`macaron.text.extractive_summary`).
"""

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from macaron.text import content_words, extractive_summary, split_sentences, stem, writing_system

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

POSITIVE_KO = _wordset("좋아 좋았 행복 기뻐 기쁘 신나 신났 최고 재밌 재미있 맛있 설레 뿌듯 합격")
NEGATIVE_KO = _wordset("슬퍼 슬프 피곤 힘들 힘든 우울 아파 아프 걱정 짜증 외로 스트레스 속상 무서")

# -- templates (tones, text); {phrase} is the reflected key phrase -----------------------------
# Every reply part comes from a list of variants; a variant whose fixed text already appears in
# an earlier reply of the conversation window is not used again (see `_fresh`).

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
        "advice": [
            (("warm",), "Good question. Let's think about it together."),
            (("calm",), "Let me think about that with you."),
            (("playful",), "Ooh, that's a tricky one! Let's figure it out."),
            (("curious",), "Hmm, good question! I've been wondering about that too."),
        ],
        "neutral": [
            (("warm",), "Thanks for telling me that {phrase}."),
            (("warm",), "Got it: {phrase}. I'll keep that in mind."),
            (("calm",), "I see, {phrase}."),
            (("calm",), "So {phrase}. Good to know."),
            (("playful",), "Oh, {phrase}? Noted!"),
            (("curious",), "Oh, {phrase}? Interesting!"),
            (("curious",), "Huh, {phrase}. I didn't know that about you."),
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
        "advice": [
            (("warm",), "いい質問だね。一緒に考えよう。"),
            (("calm",), "ゆっくり一緒に考えてみようか。"),
            (("playful",), "おっ、いい質問！"),
            (("curious",), "それ、私も気になる！"),
        ],
        "neutral": [
            (("warm",), "「{phrase}」って教えてくれてありがとう。"),
            (("warm",), "「{phrase}」、ちゃんと覚えておくね。"),
            (("calm",), "なるほど、「{phrase}」かあ。"),
            (("playful",), "へえ、「{phrase}」！おもしろいね。"),
            (("curious",), "「{phrase}」って、気になるな！"),
        ],
    },
    "ko": {
        "positive": [
            (("warm",), "“{phrase}”라니, 듣는 저까지 기분이 좋아져요!"),
            (("playful",), "와! “{phrase}”라니 최고예요!"),
            (("calm",), "“{phrase}”, 참 좋네요."),
            (("curious",), "오, “{phrase}”요? 더 듣고 싶어요!"),
        ],
        "negative": [
            (("warm",), "“{phrase}”… 많이 힘들었겠어요. 말해 줘서 고마워요."),
            (("calm",), "“{phrase}”… 그랬군요. 무리하지 마세요."),
            (("playful",), "아이고, “{phrase}”… 꼭 안아 주고 싶어요."),
            (("curious",), "“{phrase}”… 정말 힘들었겠네요."),
        ],
        "advice": [
            (("warm",), "좋은 질문이에요. 같이 생각해 봐요."),
            (("calm",), "천천히 같이 생각해 봐요."),
            (("playful",), "오, 좋은 질문이에요!"),
            (("curious",), "저도 그게 궁금했어요!"),
        ],
        "neutral": [
            (("warm",), "“{phrase}”, 말해 줘서 고마워요."),
            (("warm",), "“{phrase}”, 잘 기억해 둘게요."),
            (("calm",), "그렇군요, “{phrase}”."),
            (("playful",), "오, “{phrase}”! 기억해 둘게요!"),
            (("curious",), "“{phrase}”요? 흥미롭네요!"),
        ],
    },
}

# The answer to a question about something the person said: {fact} (first sentence) and
# {when} ("on 30 November", or "before" when the date is unknown).
ANSWERS = {
    "en": [
        "{Fact} — you told me {when}.",
        "{Fact}, as you told me {when}.",
        "{Fact} — that's what you told me {when}.",
        "If I remember right, {fact} (you told me {when}).",
    ],
    "ja": [
        "{fact} — {when}教えてくれました。",
        "{fact} — {when}話してくれましたね。",
        "{fact}。{when}そう教えてくれたよね。",
    ],
    "ko": [
        "{fact} — {when} 말해 줬어요.",
        "{fact} — {when} 알려 줬잖아요.",
        "제 기억으로는 {fact} — {when} 말해 줬어요.",
    ],
}
UNKNOWN = {
    "en": [
        "I don't think you've told me about that yet — tell me?",
        "Hmm, I don't remember you telling me about that. Will you tell me?",
        "You haven't told me about that yet, I think. I'd love to know!",
    ],
    "ja": [
        "それはまだ教えてもらってないと思う — 教えてくれる？",
        "うーん、それはまだ聞いてないかも。よかったら教えて？",
    ],
    "ko": [
        "그건 아직 못 들은 것 같아요 — 알려 줄래요?",
        "음, 그 얘기는 아직 안 해 준 것 같아요. 알려 줄래요?",
    ],
}
LOOKUP = {
    "en": [
        "I can't look that up offline, I'm afraid — I only know what you've told me.",
        "That's one I can't look up from here; I only know what you share with me.",
        "Sorry, I can't check facts like that offline.",
    ],
    "ja": [
        "ごめんね、オフラインだとそれは調べられないんだ。わかるのは、教えてもらったことだけ。",
        "それはここからは調べられないな。ごめんね。",
    ],
    "ko": [
        "미안해요, 오프라인이라 그건 찾아볼 수 없어요. 제가 아는 건 말해 준 것뿐이에요.",
        "그건 여기서는 찾아볼 수가 없어요. 미안해요.",
    ],
}
# Ties a statement to a related memory (quoted as said, person reflected in English).
TIES = {
    "en": [
        "And you told me {memory}, too.",
        "That fits with what you told me: {memory}.",
        "I remember you told me {memory}.",
    ],
    "ja": [
        "そういえば、「{memory}」って言ってたよね。",
        "「{memory}」って言ってたよね、ちゃんと覚えてるよ。",
    ],
    "ko": [
        "그러고 보니 “{memory}”라고 했었죠.",
        "“{memory}”라고 했던 것도 기억하고 있어요.",
    ],
}

QUESTIONS = {
    "en": {
        "positive": ["What was the best part?", "How did that feel?", "What made it so good?"],
        "negative": [
            "Do you want to tell me more about it?",
            "What would help a little right now?",
            "How are you feeling now?",
        ],
        "advice": [
            "What do you think yourself?",
            "What would you like to happen?",
            "What matters most to you here?",
        ],
        "neutral": [
            "What happened next?",
            "How do you feel about it?",
            "What was it like?",
            "How did that come about?",
            "Is there more to that story?",
        ],
        "answer": [
            "Is that still the case?",
            "Has anything changed since then?",
            "How is that going these days?",
        ],
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
        "advice": [
            "あなたはどう思う？",
            "どうなったらうれしい？",
            "いちばん大事にしたいことは何？",
        ],
        "neutral": [
            "それで、どうなったの？",
            "それについてどう思ってる？",
            "もう少し詳しく教えてくれる？",
        ],
        "answer": ["今も変わらない？", "その後はどう？"],
    },
    "ko": {
        "positive": ["제일 좋았던 건 뭐였어요?", "그때 기분이 어땠어요?", "누구랑 같이 있었어요?"],
        "negative": [
            "괜찮다면 조금 더 얘기해 줄래요?",
            "지금 조금이라도 도움이 될 만한 게 있을까요?",
            "지금은 기분이 어때요?",
        ],
        "advice": ["스스로는 어떻게 생각해요?", "어떻게 되면 좋겠어요?", "가장 중요한 게 뭐예요?"],
        "neutral": [
            "그래서 어떻게 됐어요?",
            "그거에 대해 어떻게 생각해요?",
            "조금 더 얘기해 줄래요?",
        ],
        "answer": ["지금도 그래요?", "그 뒤로 달라진 건 있어요?"],
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
    "ko": {
        "hello": "안녕하세요, {name}님! 저는 {companion}예요.",
        "hello_anonymous": "안녕하세요! 저는 {companion}예요.",
        "interest": [
            "{interest}을(를) 좋아한다고 들었어요.",
            "{interest} 좋아하죠? 얘기 듣고 싶어요.",
        ],
        "interest_question": [
            "{interest}의 어떤 점이 제일 좋아요?",
            "{interest}은(는) 어떻게 시작하게 됐어요?",
        ],
        "question": ["오늘 하루는 어땠어요?", "요즘 어떻게 지내요?"],
    },
}

MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
# Question cues: how a question opens (English) or ends/asks (Japanese, Korean).
QUESTION_OPENERS = _wordset(
    "what what's whats when when's where where's who who's whom whose which why how how's do "
    "does did is are was were am can could would will should have has had tell remind"
)
QUESTION_CUES_JA = (
    "覚えて",
    "何",
    "なに",
    "いつ",
    "どこ",
    "誰",
    "だれ",
    "だっけ",
    "どんな",
    "どう",
)
QUESTION_CUES_KO = (
    "기억",
    "뭐",
    "무엇",
    "무슨",
    "언제",
    "어디",
    "누구",
    "어떤",
    "어떻게",
    "나요",
    "까",
)
ADVICE_RE = re.compile(
    # "What do I do?" asks for advice; "What do I do for work / as a job?" asks about the person.
    r"\b(?:should|shall|could|can) (?:i|we)\b|\bwhat (?:do|can) i do\b(?! (?:for|as|at)\b)|"
    r"どうしたら|どうすれば|"
    r"어떻게 하면|어떡하|할까요",
    re.I,
)
SELF_RE = re.compile(
    r"\b(?:i|i'm|i've|me|my|mine|myself|remember|told you)\b|私|わたし|僕|ぼく|俺|あたし|覚えて|"
    r"だっけ|저는|제가|제 |나는|내가|내 |기억",
    re.I,
)
# Words a question about oneself uses that say nothing about the topic.
QUERY_FILLER = frozenset(
    [
        "remember",
        "rememb",
        "recall",
        "tell",
        "told",
        "know",
        "name",
        "kind",
        "sort",
        "type",
        "again",
        "favorite",
        "favourite",
        "覚え",
        "教え",
        "何だ",
        "だっけ",
        "기억",
    ]
)
# Korean endings and particles that overlap between unrelated sentences.
KO_FILLER = frozenset(
    [
        "있어",
        "어요",
        "해요",
        "에요",
        "예요",
        "니다",
        "습니",
        "입니",
        "이에",
        "아요",
        "했어",
        "있다",
        "에서",
        "하고",
        "나는",
        "저는",
        "제가",
        "내가",
    ]
)

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


LANGUAGES = ("en", "ja", "ko")


class OfflineProvider:
    name = "offline"

    def stream_chat(
        self, messages: list[ChatMessage], *, context: CompanionContext | None = None
    ) -> Iterator[str]:
        context = context or CompanionContext()
        reply = compose_reply(messages, context)
        yield from _chunks(reply, _language(context))

    def complete_json(self, messages: list[ChatMessage], *, schema: dict) -> dict:
        # Every feature that asks for JSON (extraction, routing, the builder, sub-agent chat)
        # has its own offline path and asks only a configured model; offline there is no answer.
        raise LLMError(reason="unavailable")

    def summarise(self, texts: list[str], *, max_words: int = 80, language: str = "en") -> str:
        return extractive_summary(texts, max_words=max_words)  # the one summariser (macaron.text)


# -- chat ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Turn:
    """What every part of one reply needs: the language, tones, seed and earlier replies."""

    language: str
    tones: set[str]
    seed: str
    said: tuple[str, ...]  # the companion's earlier replies in the window

    def pick(
        self, variants: Sequence[str], salt: str, *, preferred: Sequence[str] = ()
    ) -> str | None:
        """A variant not yet used in the window (the companion's tone first), or None."""
        fresh = [v for v in variants if not _used(v, self.said)]
        liked = [v for v in fresh if v in preferred]
        return _pick(liked or fresh, self.seed, salt) if fresh else None

    def pick_toned(self, templates: Sequence[tuple[tuple[str, ...], str]], salt: str) -> str:
        variants = [text for _, text in templates]
        liked = [text for tags, text in templates if set(tags) & self.tones]
        chosen = self.pick(variants, salt, preferred=liked)
        return chosen or _pick(liked or variants, self.seed, salt)  # all used: repeat the tone's


def compose_reply(messages: list[ChatMessage], context: CompanionContext) -> str:
    """The whole offline reply (what `stream_chat` yields in pieces).

    A question about something the person said is answered in the first sentence from the
    most relevant memory (with its date), or honestly not; other questions get an honest "can't
    look it up"; statements get an acknowledgement that reflects them, tied to a related
    memory when one is remembered. At most one follow-up question ends the reply."""
    language = _language(context)
    text = " ".join(last_user_text(messages).split())
    seed = "|".join(
        [text, ",".join(context.traits), context.companion_name, context.person_name, language]
    )
    said = tuple(str(m.get("content") or "") for m in messages if m.get("role") == "assistant")
    turn = _Turn(language, _tones(context.traits), seed, said)
    joiner = "" if language == "ja" else " "
    if not text:
        return joiner.join(_opening(context, turn))

    parts: list[str] = []
    follow_up: str | None = None
    if _is_question(text, language) and not ADVICE_RE.search(text):
        # About the world rather than the person, one shared word ("France") is not enough.
        least = 1 if SELF_RE.search(text) else min(2, len(_terms(text)))
        memories = context.dated_memories()
        found = _relevant_memory(memories, text, least=least)
        if found is not None:
            parts.append(_answer(found[0], found[1], turn))
            follow_up = turn.pick(QUESTIONS[language]["answer"], "follow")
        elif (
            SELF_RE.search(text)
            and memories
            and writing_system(memories[0][0]) != writing_system(text)
        ):
            # No word can be shared across languages: the memory retrieval ranked first by
            # meaning, said in another language, is quoted as it was said.
            parts.append(_answer_across(memories[0][0], memories[0][1], turn))
            follow_up = turn.pick(QUESTIONS[language]["answer"], "follow")
        elif SELF_RE.search(text):
            parts.append(turn.pick(UNKNOWN[language], "unknown") or UNKNOWN[language][0])
        else:
            parts.append(turn.pick(LOOKUP[language], "lookup") or LOOKUP[language][0])
        return joiner.join(parts + ([follow_up] if follow_up else []))

    mood = "advice" if ADVICE_RE.search(text) else _mood(text)
    phrase = _key_phrase(text, language)
    if not phrase and mood != "advice":
        mood = "neutral"
    templates = ACK[language][mood]
    if not phrase:  # nothing to reflect (only punctuation, say): skip what would quote it
        templates = [t for t in templates if "{phrase}" not in t[1].lower()]
    if templates:
        ack = turn.pick_toned(templates, "ack")
        parts.append(ack.replace("{phrase}", phrase).replace("{Phrase}", _capitalise(phrase)))
    related = _relevant_memory(context.dated_memories(), text, exclude_same=True)
    if related is not None:
        tie = turn.pick(TIES[language], "tie")
        if tie:
            parts.append(tie.format(memory=_quoted(related[0], language)))
    follow_up = turn.pick(QUESTIONS[language][mood], "question")
    if follow_up:
        parts.append(_address(follow_up, context.person_name, language, seed))
    return joiner.join(parts)


def _language(context: CompanionContext) -> str:
    return context.language if context.language in LANGUAGES else "en"


def _used(template: str, said: tuple[str, ...]) -> bool:
    """Whether the template's fixed text (its words around the placeholders) was said before."""
    pieces = [p.strip() for p in re.split(r"\{\w+\}", template)]
    pieces = [p for p in pieces if len(p) >= 3] or [p for p in pieces if p]
    return bool(pieces) and any(all(p in earlier for p in pieces) for earlier in said)


def _opening(context: CompanionContext, turn: _Turn) -> list[str]:
    templates = OPENERS[turn.language]
    hello = templates["hello" if context.person_name else "hello_anonymous"]
    parts = [hello.format(name=context.person_name, companion=context.companion_name)]
    if context.memories:
        parts.append(
            TIES[turn.language][-1].format(memory=_quoted(context.memories[0], turn.language))
        )
    if context.interests:
        interest = _pick(list(context.interests), turn.seed, "interest")
        parts.append(_pick(templates["interest"], turn.seed, "intro").format(interest=interest))
        parts.append(
            _pick(templates["interest_question"], turn.seed, "q").format(interest=interest)
        )
    else:
        parts.append(_pick(templates["question"], turn.seed, "q"))
    return parts


def _tones(traits: tuple[str, ...]) -> set[str]:
    tones = {TRAIT_TONES[t.strip().lower()] for t in traits if t.strip().lower() in TRAIT_TONES}
    return tones or set(TONES)


def _mood(text: str) -> str:
    lowered = text.lower()
    words = set(re.findall(r"[a-z']+", lowered))
    negative = (
        len(words & NEGATIVE_EN)
        + sum(cue in text for cue in NEGATIVE_JA)
        + sum(cue in text for cue in NEGATIVE_KO)
    )
    positive = (
        len(words & POSITIVE_EN)
        + sum(cue in text for cue in POSITIVE_JA)
        + sum(cue in text for cue in POSITIVE_KO)
    )
    if negative and negative >= positive:
        return "negative"
    if positive:
        return "positive"
    return "neutral"


def _is_question(text: str, language: str) -> bool:
    if text.rstrip().endswith(("?", "？")):
        return True
    if language == "ja":
        return text.rstrip("。 ").endswith(("か", "っけ")) and any(
            c in text for c in QUESTION_CUES_JA
        )
    if language == "ko":
        return text.rstrip(". ").endswith(("까", "나요", "죠")) and any(
            c in text for c in QUESTION_CUES_KO
        )
    first = text.split(" ", 1)[0].lower().strip(",")
    return first in QUESTION_OPENERS and first not in ("tell", "remind", "i")


SUBJECT_JA = re.compile(r"^(?:私|わたし|僕|ぼく|俺|おれ|あたし)(?:は|も|が|の)、?")
SUBJECT_KO = re.compile(r"^(?:저는|나는|제가|내가|저도|나도|제|내)\s+")


def _key_phrase(text: str, language: str) -> str:
    first = next(iter(split_sentences(text)), text)
    if language in ("ja", "ko"):
        subject = SUBJECT_JA if language == "ja" else SUBJECT_KO
        phrase = subject.sub("", first).rstrip("。.!！?？…‥ 　")
        if language == "ja":
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


def _relevant_memory(
    memories: list[tuple[str, date | None]],
    text: str,
    *,
    exclude_same: bool = False,
    least: int = 1,
) -> tuple[str, date | None] | None:
    """The memory sharing most content words (CJK bigrams) with the text, or None when none
    shares `least`; ties go to the earlier one (retrieval order). `exclude_same` skips a memory
    that says nothing the text does not (the statement itself, remembered before)."""
    wanted = _terms(text)
    best, best_score = None, max(least, 1) - 1
    for memory, when in memories:
        terms = _terms(memory)
        if exclude_same and terms <= wanted:
            continue
        score = len(wanted & terms)
        if score > best_score:
            best, best_score = (memory, when), score
    return best


def _terms(text: str) -> set[str]:
    terms = {stem(word) for word in content_words(text)} - QUERY_FILLER
    return {
        _prefix(term)
        for term in terms
        if not HIRAGANA_ONLY.fullmatch(term) and term not in KO_FILLER
    }


def _prefix(term: str) -> str:
    """Latin words match on their first five letters ("allergic", "allergies"; "hike", "hiking")."""
    if not term.isascii() or term.isdigit():
        return term
    return (term[:-1] if term.endswith("e") and len(term) > 3 else term)[:5]


HIRAGANA_ONLY = re.compile(r"[\u3040-\u309f]+")


def _answer(memory: str, when: date | None, turn: _Turn) -> str:
    """The first sentence: the remembered fact in the second person, and when it was said."""
    language = turn.language
    template = turn.pick(ANSWERS[language], "answer") or ANSWERS[language][0]
    if language == "ja":
        fact = _fact_ja(memory)
    elif language == "ko":
        fact = _bare(SUBJECT_KO.sub("", memory.strip()))
    else:
        fact = reflect(_bare(memory))
    return template.format(fact=fact, Fact=_capitalise(fact), when=_said_on(when, language))


def _said_on(when: date | None, language: str) -> str:
    """When the person said it, as the answers put it ("on 30 November", "11月30日に")."""
    if language == "ja":
        return f"{when.month}月{when.day}日に" if when else "前に"
    if language == "ko":
        return f"{when.month}월 {when.day}일에" if when else "전에"
    return f"on {when.day} {MONTHS_EN[when.month - 1]}" if when else "before"


ACROSS = {
    "en": "You told me {when}, in your words: “{memory}”.",
    "ja": "{when}こう教えてくれました：「{memory}」",
    "ko": "{when} 이렇게 말해 줬어요: “{memory}”",
}


def _answer_across(memory: str, when: date | None, turn: _Turn) -> str:
    """A memory in another language than the question, quoted verbatim with when it was said."""
    language = turn.language
    return ACROSS[language].format(when=_said_on(when, language), memory=_bare(memory))


def _bare(memory: str) -> str:
    return memory.strip().rstrip("。.!！ ")


def _fact_ja(memory: str) -> str:
    """「私はピーナッツアレルギーです」→「ピーナッツアレルギーなんですよね」."""
    fact = _bare(SUBJECT_JA.sub("", memory.strip()))
    if fact.endswith(("ます", "ました", "でした")):
        return fact + "よね"
    if fact.endswith("です"):
        return fact[:-2] + "なんですよね"
    if fact.endswith("だ"):
        return fact[:-1] + "なんですよね"
    if re.search(r"[うくすつぬふむゆるぐぶたい]$", fact):
        return fact + "んですよね"
    return fact + "なんですよね"


def _quoted(memory: str, language: str) -> str:
    """A memory as a tie quotes it: verbatim in Japanese and Korean, reflected in English."""
    memory = _bare(memory)
    if language != "en":
        return memory
    first = memory.split(" ", 1)[0].lower()
    words = set(re.findall(r"[a-z']+", memory.lower()))
    if first in PRONOUN_STARTS or words & CLAUSE_VERBS:
        return reflect(memory)
    return memory


def _address(question: str, person_name: str, language: str, seed: str) -> str:
    if not person_name or _pick([False, True], seed, "address") is False:
        return question
    if language == "ja":
        return f"{person_name}さん、{question}"
    if language == "ko":
        return f"{person_name}님, {question}"
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
