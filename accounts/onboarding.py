"""The onboarding personality test, interests and welcome gifts: pure data and logic, no database.

Ten light questions, each option nudging a few trait scores; the totals give the companion its
traits, colour and name suggestions (deterministic: the same answers always give the same
companion). Interests map to sub-agent blueprints, three of which are the welcome gift.
Everything shown to the person exists in English and Japanese: English here, marked with
`_()`, Japanese in the gettext catalogue (locale/ja/LC_MESSAGES/django.po).
"""

import zlib
from dataclasses import dataclass

from macaron.i18n import LANGUAGES, Translated, _

TRAITS = ("cheerful", "calm", "curious", "caring", "adventurous", "focused")  # tie-break order

TRAIT_LABELS = {
    "cheerful": _("cheerful"),
    "calm": _("calm"),
    "curious": _("curious"),
    "caring": _("caring"),
    "adventurous": _("adventurous"),
    "focused": _("focused"),
}
TRAIT_COLOURS = {
    "cheerful": "#f7b538",  # sunny yellow
    "calm": "#6ca6c1",  # sky blue
    "curious": "#8e6cc9",  # lavender
    "caring": "#e0668a",  # macaron pink
    "adventurous": "#3fa37c",  # mint
    "focused": "#e07a3f",  # apricot
}
TRAIT_NAMES = {
    "cheerful": ("Sunny", "Pip", "Kiki", "Biscuit"),
    "calm": ("Mochi", "Kumo", "Yuzu", "Luna"),
    "curious": ("Pixel", "Nori", "Quill", "Ziggy"),
    "caring": ("Momo", "Peach", "Honey", "Hana"),
    "adventurous": ("Scout", "Koa", "Sora", "Comet"),
    "focused": ("Sage", "Miso", "Atlas", "Tofu"),
}
SECOND_TRAIT_SHARE = 0.3  # how much the runner-up trait tints the colour


@dataclass(frozen=True)
class Option:
    id: str
    emoji: str
    text: Translated
    scores: dict[str, int]


@dataclass(frozen=True)
class Question:
    id: str
    text: Translated
    memory: Translated  # how the picked option is remembered, with {option}
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


def _o(option_id: str, emoji: str, text: Translated, **scores: int) -> Option:
    return Option(option_id, emoji, text, scores)


QUESTIONS: tuple[Question, ...] = (
    Question(
        "weekend",
        _("Your dream weekend is…"),
        _("I picked '{option}' as my dream weekend."),
        (
            _o("cosy_night", "🛋️", _("a cosy night in"), calm=2, caring=1),
            _o("new_trail", "🥾", _("a hike somewhere new"), adventurous=2, cheerful=1),
            _o("brunch", "🥞", _("brunch with friends"), cheerful=2, caring=1),
            _o("project", "🛠️", _("a project I can't put down"), focused=2, curious=1),
        ),
    ),
    Question(
        "alarm",
        _("Your alarm rings. You…"),
        _("When my alarm rings, I {option}."),
        (
            _o("jump_up", "☀️", _("jump up, ready to go"), cheerful=2, focused=1),
            _o("snooze", "😴", _("snooze, just once (or thrice)"), calm=2),
            _o("stretch", "🧘", _("stretch and brew a slow coffee"), calm=1, focused=1),
            _o("news", "📱", _("check what's new in the world"), curious=2),
        ),
    ),
    Question(
        "snack",
        _("Pick a snack for a long afternoon"),
        _("My go-to snack would be {option}."),
        (
            _o("fruit", "🍓", _("fresh fruit"), caring=1, focused=1),
            _o("popcorn", "🍿", _("a big bowl of popcorn"), cheerful=2),
            _o("macarons", "🧁", _("macarons, obviously"), cheerful=1, caring=1),
            _o("mystery", "🌶️", _("something I've never tried"), adventurous=2, curious=1),
        ),
    ),
    Question(
        "friend",
        _("A friend is having a rough day. You…"),
        _("When a friend has a rough day, I {option}."),
        (
            _o("listen", "👂", _("listen for as long as it takes"), caring=2, calm=1),
            _o("laugh", "🎉", _("make them laugh"), cheerful=2),
            _o("plan", "📋", _("help make a plan"), focused=2),
            _o("outing", "🚲", _("take them somewhere to clear their head"), adventurous=1, caring=1),
        ),
    ),
    Question(
        "superpower",
        _("Pick a superpower"),
        _("If I could have a superpower, I'd choose {option}."),
        (
            _o("teleport", "✨", _("teleporting anywhere"), adventurous=2),
            _o("pause", "⏸️", _("pausing time"), calm=1, focused=1),
            _o("speed_read", "📚", _("reading any book in a minute"), curious=2),
            _o("comfort", "💗", _("making anyone feel better"), caring=2),
        ),
    ),
    Question(
        "planning",
        _("How do you plan your day?"),
        _("My way of planning a day: {option}."),
        (
            _o("todo", "✅", _("a neat to-do list"), focused=2),
            _o("flow", "🌊", _("go with the flow"), calm=1, adventurous=1),
            _o("surprise", "🎲", _("surprise me"), adventurous=1, cheerful=1),
            _o("learn", "💡", _("learn one new thing, the rest can wait"), curious=2),
        ),
    ),
    Question(
        "soundtrack",
        _("Your soundtrack right now"),
        _("My soundtrack right now would be {option}."),
        (
            _o("lofi", "🎧", _("lo-fi beats"), calm=2, focused=1),
            _o("pop", "🎤", _("pop I can sing along to"), cheerful=2),
            _o("faraway", "🌍", _("music from far away"), adventurous=1, curious=1),
            _o("birdsong", "🍃", _("birdsong and quiet"), calm=1, caring=1),
        ),
    ),
    Question(
        "pet",
        _("Which pet would you adopt?"),
        _("If I adopted a pet, it would be {option}."),
        (
            _o("cat", "🐈", _("a sleepy cat"), calm=2),
            _o("dog", "🐕", _("a bouncy dog"), cheerful=1, adventurous=1),
            _o("parrot", "🦜", _("a chatty parrot"), curious=1, cheerful=1),
            _o("plants", "🪴", _("a room full of plants"), caring=2),
        ),
    ),
    Question(
        "trip",
        _("Your dream trip?"),
        _("My dream trip would be {option}."),
        (
            _o("beach", "🏖️", _("a quiet beach"), calm=2),
            _o("city", "🏙️", _("a buzzing city"), cheerful=1, curious=1),
            _o("mountains", "🏔️", _("mountains and a tent"), adventurous=2),
            _o("museums", "🏛️", _("every museum in town"), curious=2),
        ),
    ),
    Question(
        "tone",
        _("How should your companion talk to you?"),
        _("I'd like my companion to talk to me {option}."),
        (
            _o("gentle", "🌸", _("gently, like a warm cup of tea"), caring=2, calm=1),
            _o("upbeat", "⚡", _("upbeat, with lots of cheering"), cheerful=2),
            _o("direct", "🎯", _("straight to the point"), focused=2),
            _o("witty", "🃏", _("with a bit of wit"), curious=1, cheerful=1),
        ),
    ),
)  # fmt: skip
QUESTIONS_BY_ID = {q.id: q for q in QUESTIONS}
QUESTION_COUNT = len(QUESTIONS)


@dataclass(frozen=True)
class Interest:
    slug: str
    emoji: str
    label: Translated


INTERESTS: tuple[Interest, ...] = (
    Interest("food", "🍳", _("food & cooking")),
    Interest("fitness", "🏃", _("fitness")),
    Interest("health", "🩺", _("health")),
    Interest("sleep", "🌙", _("sleep")),
    Interest("mood", "🌈", _("mood")),
    Interest("study", "✏️", _("study")),
    Interest("language", "🗣️", _("languages")),
    Interest("travel", "🧳", _("travel")),
    Interest("finance", "💰", _("money")),
    Interest("hobbies", "🎨", _("hobbies")),
    Interest("music", "🎵", _("music")),
    Interest("reading", "📖", _("reading")),
)
INTERESTS_BY_SLUG = {i.slug: i for i in INTERESTS}
MIN_INTERESTS, MAX_INTERESTS = 1, 5


@dataclass(frozen=True)
class Gift:
    """A sub-agent blueprint offered as a welcome gift (the catalogue will resolve the slug)."""

    slug: str
    emoji: str
    name: Translated
    blurb: Translated


def _g(slug: str, emoji: str, name: Translated, blurb: Translated) -> Gift:
    return Gift(slug, emoji, name, blurb)


GIFTS: tuple[Gift, ...] = (
    _g("meal-planner", "🥗", _("Meal planner"), _("Plan the week's meals in a minute.")),
    _g("recipe-box", "📒", _("Recipe box"), _("Keep the recipes you love.")),
    _g("workout-log", "🏋️", _("Workout log"), _("Log sets, runs and rest days.")),
    _g("step-streak", "👟", _("Step streak"), _("Keep a daily walking streak alive.")),
    _g("hydration-log", "💧", _("Hydration log"), _("Count glasses of water, gently.")),
    _g("medicine-reminder", "💊", _("Medicine reminder"), _("Never miss a dose.")),
    _g("sleep-diary", "🌙", _("Sleep diary"), _("See how you really sleep.")),
    _g("wind-down", "🕯️", _("Wind-down routine"), _("A calm routine before bed.")),
    _g("mood-journal", "🌈", _("Mood journal"), _("Two taps to note how you feel.")),
    _g("gratitude-list", "🙏", _("Gratitude list"), _("Three good things a day.")),
    _g("study-timer", "⏱️", _("Study timer"), _("Focused sessions with breaks.")),
    _g("flashcards", "🗂️", _("Flashcards"), _("Remember more with spaced review.")),
    _g("word-of-the-day", "🔤", _("Word of the day"), _("One new word, every day.")),
    _g("phrasebook", "💬", _("Phrasebook"), _("Phrases you actually use.")),
    _g("trip-planner", "🗺️", _("Trip planner"), _("Ideas, bookings and days in one place.")),
    _g("packing-list", "🎒", _("Packing list"), _("Never forget the charger again.")),
    _g("expense-tracker", "🧾", _("Expense tracker"), _("Where did the money go?")),
    _g("savings-jar", "🐷", _("Savings jar"), _("Save towards something nice.")),
    _g("habit-tracker", "✨", _("Habit tracker"), _("Small habits, big streaks.")),
    _g("project-board", "📌", _("Project board"), _("Keep your side projects moving.")),
    _g("practice-log", "🎸", _("Practice log"), _("Minutes practised, pieces learned.")),
    _g("playlist-notes", "🎶", _("Playlist notes"), _("Songs for every mood.")),
    _g("reading-list", "📚", _("Reading list"), _("What to read next.")),
    _g("book-notes", "🔖", _("Book notes"), _("Quotes and thoughts from books.")),
)  # fmt: skip
GIFTS_BY_SLUG = {g.slug: g for g in GIFTS}

WELCOME_GIFTS: dict[str, tuple[str, ...]] = {
    "food": ("meal-planner", "recipe-box"),
    "fitness": ("workout-log", "step-streak"),
    "health": ("hydration-log", "medicine-reminder"),
    "sleep": ("sleep-diary", "wind-down"),
    "mood": ("mood-journal", "gratitude-list"),
    "study": ("study-timer", "flashcards"),
    "language": ("word-of-the-day", "phrasebook"),
    "travel": ("trip-planner", "packing-list"),
    "finance": ("expense-tracker", "savings-jar"),
    "hobbies": ("habit-tracker", "project-board"),
    "music": ("practice-log", "playlist-notes"),
    "reading": ("reading-list", "book-notes"),
}
DEFAULT_GIFTS = ("mood-journal", "hydration-log", "sleep-diary")
GIFT_COUNT = 3


def language_of(code: str | None) -> str:
    return code if code in LANGUAGES else "en"


# Validation --------------------------------------------------------------------------------


def option_for(question_id: str, option_id: str) -> tuple[Question, Option] | None:
    question = QUESTIONS_BY_ID.get(question_id)
    option = question.option(option_id) if question else None
    return (question, option) if question and option else None


def _option(question_id: str, option_id: str) -> tuple[Question, Option]:
    """A known question → option pair (answers are cleaned before they get here)."""
    pair = option_for(question_id, option_id)
    if pair is None:
        raise ValueError(f"Unknown answer {question_id!r} → {option_id!r}.")
    return pair


def clean_answers(answers: dict) -> dict[str, str]:
    """Only known question → option pairs, in question order."""
    return {
        q.id: answers[q.id]
        for q in QUESTIONS
        if isinstance(answers.get(q.id), str) and q.option(answers[q.id])
    }


def next_question(answers: dict) -> Question | None:
    return next((q for q in QUESTIONS if q.id not in clean_answers(answers)), None)


def sorted_interests(interests) -> list[str]:
    """Known interests, without repeats, in catalogue order (so the gift never depends on the
    order they were clicked in)."""
    chosen = set(interests)
    return [i.slug for i in INTERESTS if i.slug in chosen]


# Personality -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Personality:
    traits: list[str]  # the three strongest, strongest first
    colour: str  # "#rrggbb"
    names: list[str]  # three suggestions, the first is the default
    code: str  # e.g. "calm-caring-curious"
    scores: dict[str, int]


def _mix(first: str, second: str, share: float) -> str:
    a = [int(first[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(second[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(
        f"{round(x * (1 - share) + y * share):02x}" for x, y in zip(a, b, strict=True)
    )


def personality_from_answers(answers: dict) -> Personality:
    """Traits, colour and name suggestions from the answers; the same answers, the same result."""
    answers = clean_answers(answers)
    scores = dict.fromkeys(TRAITS, 0)
    for question_id, option_id in answers.items():
        for trait, points in _option(question_id, option_id)[1].scores.items():
            scores[trait] += points
    ranked = sorted(TRAITS, key=lambda t: (-scores[t], TRAITS.index(t)))
    traits = ranked[:3]
    colour = _mix(TRAIT_COLOURS[traits[0]], TRAIT_COLOURS[traits[1]], SECOND_TRAIT_SHARE)
    # A stable checksum (not hash(), which is salted per process) picks among each trait's names.
    seed = zlib.crc32(",".join(f"{q}={o}" for q, o in answers.items()).encode())
    names = [TRAIT_NAMES[t][(seed + i) % len(TRAIT_NAMES[t])] for i, t in enumerate(traits)]
    return Personality(
        traits=traits, colour=colour, names=names, code="-".join(traits), scores=scores
    )


# Gifts and words ---------------------------------------------------------------------------


def gift_for(interests) -> list[str]:
    """Three blueprint slugs: the first pick of each interest, then the second picks, then
    defaults, never twice the same."""
    picks: list[str] = []
    columns = [WELCOME_GIFTS[slug] for slug in sorted_interests(interests)]
    for rank in range(max((len(c) for c in columns), default=0)):
        for column in columns:
            if rank < len(column) and column[rank] not in picks:
                picks.append(column[rank])
    picks += [slug for slug in DEFAULT_GIFTS if slug not in picks]
    return picks[:GIFT_COUNT]


def join_words(words: list[str], language: str) -> str:
    if language == "ja":
        return "、".join(words)
    if language == "ko":
        return ", ".join(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def answer_memory(question_id: str, option_id: str, language: str) -> str:
    question, option = _option(question_id, option_id)
    return question.memory[language].format(option=option.text[language])


def interests_memory(interests, language: str) -> str:
    labels = [INTERESTS_BY_SLUG[s].label[language] for s in sorted_interests(interests)]
    if language == "ja":
        return f"興味があるのは{join_words(labels, language)}。"
    if language == "ko":
        return f"내 관심사: {join_words(labels, language)}."
    return f"I'm interested in {join_words(labels, language)}."


def opening_message(
    *, companion_name: str, person_name: str, interests, gift: list[str], language: str
) -> str:
    """The companion's first words, built from the interests and the gift."""
    labels = [INTERESTS_BY_SLUG[s].label[language] for s in sorted_interests(interests)]
    gifts = [GIFTS_BY_SLUG[s].name[language] for s in gift]
    first = labels[0] if labels else ""
    if language == "ja":
        return (
            f"{person_name}さん、はじめまして！{companion_name}です。"
            f"{join_words(labels, language)}が好きなんですね。"
            f"ウェルカムギフトに「{'」「'.join(gifts)}」を用意しました。"
            f"まずは{first}のこと、最近どんな感じか教えてくれますか？"
        )
    if language == "ko":
        # Only particles that do not depend on the name's last sound (에, 님; not 은/는, 을/를).
        return (
            f"{person_name}님, 반가워요! 당신의 컴패니언, {companion_name}입니다. "
            f"{join_words(labels, language)}에 관심이 있으시군요. "
            f"환영 선물을 준비했어요: {join_words(gifts, language)}. "
            f"먼저 {first} 이야기부터 해 볼까요? 요즘 어떤지 들려주세요."
        )
    return (
        f"Hi {person_name}, I'm {companion_name}! "
        f"I hear you're into {join_words(labels, language)}. "
        f"I brought you a welcome gift: {join_words(gifts, language)}. "
        f"To start, how are things going with {first} lately?"
    )


UI: dict[str, Translated] = {
    "title": _("Meet your companion"),
    "progress": _("Question {n} / {total}"),
    "back": _("Back"),
    "skip": _("Skip for now"),
    "companion_title": _("Say hello to {name}"),
    "companion_intro": _("Your answers gave your companion a colour, a name and a personality."),
    "name_label": _("Name"),
    "name_help": _("Pick one of the suggestions or type your own."),
    "suggestions": _("Suggestions"),
    "traits": _("Personality"),
    "continue": _("Looks good, continue"),
    "interests_title": _("What are you into?"),
    "interests_intro": _("Pick 1 to 5 things. {name} will bring you tools for them."),
    "interests_continue": _("See my welcome gift"),
    "gift_title": _("A welcome gift from {name}"),
    "gift_intro": _("Three little helpers picked for your interests."),
    "meet": _("Meet {name}"),
    "meet_progress": _("Getting {name} ready…"),
    "meet_step_memories": _("Remembering your answers"),
    "meet_step_tools": _("Installing your three tools"),
    "meet_step_chat": _("Opening your first conversation"),
    "card_title": _("Your companion"),
    "card_chat": _("{name} is waiting to chat."),
    "welcome_done": _("{name} is here for you."),
    "take_test": _("Meet your companion: take the short personality test."),
    "retake": _("Change answers"),
}


def ui_text(language: str) -> dict[str, str]:
    """The page strings in one language, placeholders left as they are."""
    language = language_of(language)
    return {key: text[language] for key, text in UI.items()}


def ui_strings(language: str, **values) -> dict[str, str]:
    """The page strings in one language, with {name}, {n} and {total} filled in."""
    values = {"name": "", "n": "", "total": QUESTION_COUNT, **values}
    language = language_of(language)
    return {key: text[language].format(**values) for key, text in UI.items()}
