"""The onboarding personality test, interests and welcome gifts: pure data and logic, no database.

Ten light questions, each option nudging a few trait scores; the totals give the companion its
traits, colour and name suggestions (deterministic: the same answers always give the same
companion). Interests map to sub-agent blueprints, three of which are the welcome gift.
Everything shown to the person exists in English and Japanese.
"""

import zlib
from dataclasses import dataclass

LANGUAGES = ("en", "ja")
TRAITS = ("cheerful", "calm", "curious", "caring", "adventurous", "focused")  # tie-break order

TRAIT_LABELS = {
    "cheerful": {"en": "cheerful", "ja": "明るい"},
    "calm": {"en": "calm", "ja": "おだやか"},
    "curious": {"en": "curious", "ja": "好奇心旺盛"},
    "caring": {"en": "caring", "ja": "思いやりがある"},
    "adventurous": {"en": "adventurous", "ja": "冒険好き"},
    "focused": {"en": "focused", "ja": "集中力がある"},
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
    text: dict[str, str]
    scores: dict[str, int]


@dataclass(frozen=True)
class Question:
    id: str
    text: dict[str, str]
    memory: dict[str, str]  # how the picked option is remembered, with {option}
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


def _o(option_id: str, emoji: str, en: str, ja: str, **scores: int) -> Option:
    return Option(option_id, emoji, {"en": en, "ja": ja}, scores)


QUESTIONS: tuple[Question, ...] = (
    Question(
        "weekend",
        {"en": "Your dream weekend is…", "ja": "理想の週末は…"},
        {"en": "I picked '{option}' as my dream weekend.", "ja": "理想の週末には「{option}」を選んだ。"},
        (
            _o("cosy_night", "🛋️", "a cosy night in", "おうちでまったり", calm=2, caring=1),
            _o("new_trail", "🥾", "a hike somewhere new", "知らない道をハイキング", adventurous=2, cheerful=1),
            _o("brunch", "🥞", "brunch with friends", "友だちとブランチ", cheerful=2, caring=1),
            _o("project", "🛠️", "a project I can't put down", "夢中になれるプロジェクト", focused=2, curious=1),
        ),
    ),
    Question(
        "alarm",
        {"en": "Your alarm rings. You…", "ja": "目覚ましが鳴った。あなたは…"},
        {"en": "When my alarm rings, I {option}.", "ja": "目覚ましが鳴ったら「{option}」タイプ。"},
        (
            _o("jump_up", "☀️", "jump up, ready to go", "すぐ飛び起きる", cheerful=2, focused=1),
            _o("snooze", "😴", "snooze, just once (or thrice)", "スヌーズを一回だけ（三回かも）", calm=2),
            _o("stretch", "🧘", "stretch and brew a slow coffee", "ストレッチしてゆっくりコーヒー", calm=1, focused=1),
            _o("news", "📱", "check what's new in the world", "まず世界のニュースをチェック", curious=2),
        ),
    ),
    Question(
        "snack",
        {"en": "Pick a snack for a long afternoon", "ja": "長い午後のおやつを選ぶなら"},
        {"en": "My go-to snack would be {option}.", "ja": "おやつなら「{option}」。"},
        (
            _o("fruit", "🍓", "fresh fruit", "フレッシュフルーツ", caring=1, focused=1),
            _o("popcorn", "🍿", "a big bowl of popcorn", "山盛りポップコーン", cheerful=2),
            _o("macarons", "🧁", "macarons, obviously", "もちろんマカロン", cheerful=1, caring=1),
            _o("mystery", "🌶️", "something I've never tried", "食べたことのないもの", adventurous=2, curious=1),
        ),
    ),
    Question(
        "friend",
        {"en": "A friend is having a rough day. You…", "ja": "友だちが落ち込んでいる。あなたは…"},
        {"en": "When a friend has a rough day, I {option}.", "ja": "友だちが落ち込んでいたら「{option}」。"},
        (
            _o("listen", "👂", "listen for as long as it takes", "気が済むまで話を聞く", caring=2, calm=1),
            _o("laugh", "🎉", "make them laugh", "笑わせて元気づける", cheerful=2),
            _o("plan", "📋", "help make a plan", "一緒に作戦を立てる", focused=2),
            _o("outing", "🚲", "take them somewhere to clear their head", "気分転換に連れ出す", adventurous=1, caring=1),
        ),
    ),
    Question(
        "superpower",
        {"en": "Pick a superpower", "ja": "超能力をひとつ選ぶなら"},
        {"en": "If I could have a superpower, I'd choose {option}.", "ja": "超能力なら「{option}」を選ぶ。"},
        (
            _o("teleport", "✨", "teleporting anywhere", "どこでもテレポート", adventurous=2),
            _o("pause", "⏸️", "pausing time", "時間を止める", calm=1, focused=1),
            _o("speed_read", "📚", "reading any book in a minute", "どんな本も一分で読める", curious=2),
            _o("comfort", "💗", "making anyone feel better", "誰でも元気にできる", caring=2),
        ),
    ),
    Question(
        "planning",
        {"en": "How do you plan your day?", "ja": "一日の計画の立て方は？"},
        {"en": "My way of planning a day: {option}.", "ja": "一日の計画は「{option}」派。"},
        (
            _o("todo", "✅", "a neat to-do list", "きっちりToDoリスト", focused=2),
            _o("flow", "🌊", "go with the flow", "流れにまかせる", calm=1, adventurous=1),
            _o("surprise", "🎲", "surprise me", "サプライズ歓迎", adventurous=1, cheerful=1),
            _o("learn", "💡", "learn one new thing, the rest can wait", "何かひとつ学べればOK", curious=2),
        ),
    ),
    Question(
        "soundtrack",
        {"en": "Your soundtrack right now", "ja": "今のBGMは"},
        {"en": "My soundtrack right now would be {option}.", "ja": "今のBGMは「{option}」。"},
        (
            _o("lofi", "🎧", "lo-fi beats", "ローファイ・ビート", calm=2, focused=1),
            _o("pop", "🎤", "pop I can sing along to", "一緒に歌えるポップス", cheerful=2),
            _o("faraway", "🌍", "music from far away", "遠い国の音楽", adventurous=1, curious=1),
            _o("birdsong", "🍃", "birdsong and quiet", "鳥の声と静けさ", calm=1, caring=1),
        ),
    ),
    Question(
        "pet",
        {"en": "Which pet would you adopt?", "ja": "飼うならどの子？"},
        {"en": "If I adopted a pet, it would be {option}.", "ja": "飼うなら「{option}」。"},
        (
            _o("cat", "🐈", "a sleepy cat", "のんびり猫", calm=2),
            _o("dog", "🐕", "a bouncy dog", "元気いっぱいの犬", cheerful=1, adventurous=1),
            _o("parrot", "🦜", "a chatty parrot", "おしゃべりなオウム", curious=1, cheerful=1),
            _o("plants", "🪴", "a room full of plants", "部屋いっぱいの植物", caring=2),
        ),
    ),
    Question(
        "trip",
        {"en": "Your dream trip?", "ja": "夢の旅行は？"},
        {"en": "My dream trip would be {option}.", "ja": "夢の旅行は「{option}」。"},
        (
            _o("beach", "🏖️", "a quiet beach", "静かなビーチ", calm=2),
            _o("city", "🏙️", "a buzzing city", "にぎやかな都会", cheerful=1, curious=1),
            _o("mountains", "🏔️", "mountains and a tent", "山とテント", adventurous=2),
            _o("museums", "🏛️", "every museum in town", "街じゅうの美術館めぐり", curious=2),
        ),
    ),
    Question(
        "tone",
        {"en": "How should your companion talk to you?", "ja": "相棒にはどんなふうに話してほしい？"},
        {"en": "I'd like my companion to talk to me {option}.", "ja": "相棒には「{option}」話してほしい。"},
        (
            _o("gentle", "🌸", "gently, like a warm cup of tea", "温かいお茶のようにやさしく", caring=2, calm=1),
            _o("upbeat", "⚡", "upbeat, with lots of cheering", "元気いっぱいに応援して", cheerful=2),
            _o("direct", "🎯", "straight to the point", "要点をずばっと", focused=2),
            _o("witty", "🃏", "with a bit of wit", "ちょっとユーモアをまじえて", curious=1, cheerful=1),
        ),
    ),
)  # fmt: skip
QUESTIONS_BY_ID = {q.id: q for q in QUESTIONS}
QUESTION_COUNT = len(QUESTIONS)


@dataclass(frozen=True)
class Interest:
    slug: str
    emoji: str
    label: dict[str, str]


INTERESTS: tuple[Interest, ...] = (
    Interest("food", "🍳", {"en": "food & cooking", "ja": "料理・ごはん"}),
    Interest("fitness", "🏃", {"en": "fitness", "ja": "運動"}),
    Interest("health", "🩺", {"en": "health", "ja": "健康"}),
    Interest("sleep", "🌙", {"en": "sleep", "ja": "睡眠"}),
    Interest("mood", "🌈", {"en": "mood", "ja": "気分"}),
    Interest("study", "✏️", {"en": "study", "ja": "勉強"}),
    Interest("language", "🗣️", {"en": "languages", "ja": "語学"}),
    Interest("travel", "🧳", {"en": "travel", "ja": "旅行"}),
    Interest("finance", "💰", {"en": "money", "ja": "お金"}),
    Interest("hobbies", "🎨", {"en": "hobbies", "ja": "趣味"}),
    Interest("music", "🎵", {"en": "music", "ja": "音楽"}),
    Interest("reading", "📖", {"en": "reading", "ja": "読書"}),
)
INTERESTS_BY_SLUG = {i.slug: i for i in INTERESTS}
MIN_INTERESTS, MAX_INTERESTS = 1, 5


@dataclass(frozen=True)
class Gift:
    """A sub-agent blueprint offered as a welcome gift (the catalogue will resolve the slug)."""

    slug: str
    emoji: str
    name: dict[str, str]
    blurb: dict[str, str]


def _g(slug: str, emoji: str, en: str, ja: str, blurb_en: str, blurb_ja: str) -> Gift:
    return Gift(slug, emoji, {"en": en, "ja": ja}, {"en": blurb_en, "ja": blurb_ja})


GIFTS: tuple[Gift, ...] = (
    _g("meal-planner", "🥗", "Meal planner", "献立プランナー", "Plan the week's meals in a minute.", "一週間の献立を一分で。"),
    _g("recipe-box", "📒", "Recipe box", "レシピ箱", "Keep the recipes you love.", "お気に入りのレシピをしまっておく。"),
    _g("workout-log", "🏋️", "Workout log", "トレーニング記録", "Log sets, runs and rest days.", "筋トレ・ランニング・休息日を記録。"),
    _g("step-streak", "👟", "Step streak", "歩数ストリーク", "Keep a daily walking streak alive.", "毎日の歩く習慣を続ける。"),
    _g("hydration-log", "💧", "Hydration log", "水分記録", "Count glasses of water, gently.", "飲んだ水をやさしくカウント。"),
    _g("medicine-reminder", "💊", "Medicine reminder", "お薬リマインダー", "Never miss a dose.", "飲み忘れを防ぐ。"),
    _g("sleep-diary", "🌙", "Sleep diary", "睡眠日記", "See how you really sleep.", "眠りの様子を見える化。"),
    _g("wind-down", "🕯️", "Wind-down routine", "おやすみルーティン", "A calm routine before bed.", "寝る前の落ち着く習慣。"),
    _g("mood-journal", "🌈", "Mood journal", "気分日記", "Two taps to note how you feel.", "二回タップで気分を記録。"),
    _g("gratitude-list", "🙏", "Gratitude list", "感謝リスト", "Three good things a day.", "一日三つの良いこと。"),
    _g("study-timer", "⏱️", "Study timer", "勉強タイマー", "Focused sessions with breaks.", "休憩つきの集中セッション。"),
    _g("flashcards", "🗂️", "Flashcards", "単語カード", "Remember more with spaced review.", "間隔をあけた復習で覚える。"),
    _g("word-of-the-day", "🔤", "Word of the day", "今日のひとこと", "One new word, every day.", "毎日ひとつ新しい言葉。"),
    _g("phrasebook", "💬", "Phrasebook", "フレーズ帳", "Phrases you actually use.", "本当に使うフレーズ集。"),
    _g("trip-planner", "🗺️", "Trip planner", "旅行プランナー", "Ideas, bookings and days in one place.", "アイデアも予約も日程もひとつに。"),
    _g("packing-list", "🎒", "Packing list", "持ち物リスト", "Never forget the charger again.", "充電器をもう忘れない。"),
    _g("expense-tracker", "🧾", "Expense tracker", "家計簿", "Where did the money go?", "お金の行き先がわかる。"),
    _g("savings-jar", "🐷", "Savings jar", "貯金箱", "Save towards something nice.", "楽しみのために貯める。"),
    _g("habit-tracker", "✨", "Habit tracker", "習慣トラッカー", "Small habits, big streaks.", "小さな習慣を続ける。"),
    _g("project-board", "📌", "Project board", "プロジェクトボード", "Keep your side projects moving.", "趣味のプロジェクトを前へ。"),
    _g("practice-log", "🎸", "Practice log", "練習記録", "Minutes practised, pieces learned.", "練習時間と覚えた曲。"),
    _g("playlist-notes", "🎶", "Playlist notes", "プレイリストメモ", "Songs for every mood.", "気分ごとの曲メモ。"),
    _g("reading-list", "📚", "Reading list", "読書リスト", "What to read next.", "次に読む本。"),
    _g("book-notes", "🔖", "Book notes", "読書メモ", "Quotes and thoughts from books.", "本の引用と感想。"),
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
    return (
        f"Hi {person_name}, I'm {companion_name}! "
        f"I hear you're into {join_words(labels, language)}. "
        f"I brought you a welcome gift: {join_words(gifts, language)}. "
        f"To start, how are things going with {first} lately?"
    )


UI = {
    "en": {
        "title": "Meet your companion",
        "progress": "Question {n} / {total}",
        "back": "Back",
        "skip": "Skip for now",
        "companion_title": "Say hello to {name}",
        "companion_intro": "Your answers gave your companion a colour, a name and a personality.",
        "name_label": "Name",
        "name_help": "Pick one of the suggestions or type your own.",
        "suggestions": "Suggestions",
        "traits": "Personality",
        "continue": "Looks good, continue",
        "interests_title": "What are you into?",
        "interests_intro": "Pick 1 to 5 things. {name} will bring you tools for them.",
        "interests_continue": "See my welcome gift",
        "gift_title": "A welcome gift from {name}",
        "gift_intro": "Three little helpers picked for your interests.",
        "meet": "Meet {name}",
        "card_title": "Your companion",
        "card_chat": "{name} is waiting to chat.",
        "welcome_done": "{name} is here for you.",
        "take_test": "Meet your companion: take the short personality test.",
        "retake": "Change answers",
    },
    "ja": {
        "title": "相棒に会おう",
        "progress": "質問 {n} / {total}",
        "back": "戻る",
        "skip": "あとで",
        "companion_title": "{name}にあいさつしよう",
        "companion_intro": "あなたの答えから、相棒の色・名前・性格が決まりました。",
        "name_label": "名前",
        "name_help": "候補から選ぶか、好きな名前を入力してください。",
        "suggestions": "名前の候補",
        "traits": "性格",
        "continue": "これで決まり、次へ",
        "interests_title": "興味のあることは？",
        "interests_intro": "1〜5個選んでください。{name}がぴったりの道具を持ってきます。",
        "interests_continue": "ウェルカムギフトを見る",
        "gift_title": "{name}からのウェルカムギフト",
        "gift_intro": "あなたの興味に合わせた3つの小さな助っ人です。",
        "meet": "{name}に会う",
        "card_title": "あなたの相棒",
        "card_chat": "{name}がおしゃべりを待っています。",
        "welcome_done": "{name}がそばにいます。",
        "take_test": "相棒に会おう：短い性格診断をどうぞ。",
        "retake": "答えを変える",
    },
}


def ui_strings(language: str, **values) -> dict[str, str]:
    """The page strings in one language, with {name}, {n} and {total} filled in."""
    values = {"name": "", "n": "", "total": QUESTION_COUNT, **values}
    return {key: text.format(**values) for key, text in UI[language_of(language)].items()}
