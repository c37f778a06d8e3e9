"""What sub-agents handle, registered with the companion's router at start-up.

- `log_entry`: the words go to the person's installed tool they fit (`tool_for_words`) and
  are logged by that tool's own chat (`subagents.chat.tool_chat_send`, one way to log from
  words), confirmed with an Undo button; with no fitting tool, the closest catalogue blueprint is
  offered with a one-tap install (which then logs the request) and the builder.
- `build_tool`: the builder says what it would make and links to the builder page, pre-filled
  with the request (kept encrypted, `routed_request_record`).
- `plan`: kept (encrypted) until planners exist; the companion says where it will go.

The message itself is stored by the companion but never remembered (the router decided before
the write path ran).
"""

import re

from django.urls import reverse

from macaron.errors import DomainError
from macaron.text import detect_language
from memory.services import Intent, RoutedRequest, RouteLink, RouteResult, register_intent
from subagents.builder.matching import BuildRefused, blueprint_match
from subagents.chat import tool_chat_send, tool_for_words
from subagents.selectors import installation_detail, spec_localised
from subagents.services import routed_request_record, spec_build

QUOTE_CHARS = 80

LOG_EXAMPLES = (
    "log 2 glasses of water",
    "I drank a bottle of water, log it",
    "track my water intake",
    "record my workout: 30 minutes of running",
    "log a 5 km run",
    "add today's gym session to my workout log",
    "log my lunch: a chicken salad",
    "log my dinner: rice and vegetables",
    "record what I ate for breakfast",
    "log my mood: feeling anxious",
    "track my mood today",
    "log 7 hours of sleep",
    "I slept 6 hours last night, note it down",
    "水を2杯飲んだと記録して",
    "今日の運動を記録して",
    "水を2杯飲んだ",
    "コーヒー2杯",
    "log 2 cups of coffee",
    "물 3잔 마셨어",
    "커피 두 잔 기록해줘",
    "오늘 운동 기록해줘",
)
PLAN_EXAMPLES = (
    "plan my meals for next week",
    "make me a meal plan",
    "plan what I should cook this week",
    "make a workout plan for me",
    "plan my training for the marathon",
    "create a weekly exercise schedule",
    "help me plan a healthy diet",
    "来週の献立を考えて",
    "トレーニングの計画を立てて",
)
BUILD_EXAMPLES = (
    "make me a tool that tracks my reading",
    "create an app to track my plants",
    "build me a tracker for my habits",
    "I want a tool that reminds me to stretch",
    "can you make a sub-agent for my tennis practice",
    "build an app that logs my coffee",
    "make a new tracker for my expenses",
    "読書を記録するツールを作って",
)

LOG_CUES = (
    r"\blog\b(?!\s*(?:in|out|on)\b)",
    r"\b(?:record|track)\s+(?:my|the|a|an|that|this|it|what|how|today|\d)",
    r"\bnote\s+(?:that|it|down|this|my)\b|\b(?:write|jot) (?:it )?down\b",
    r"記録|メモして|つけて",
    r"기록|적어",
    r"\d+\s*(?:杯|잔|グラス|컵|本|km|キロ|킬로)",  # a count with its unit: "水を2杯", "물 3잔"
)
PLAN_CUES = (
    r"\bplan\s+(?:my|our|out|me|a|an|the|some|\w+s)\b",
    r"\b(?:meal|workout|training|exercise|diet|fitness|running|weekly|food|menu)\s+plan\b",
    r"\bplanner\b",
    r"\bschedule\s+(?:my|our|a|the|some)\b",
    r"計画|献立|プラン",
)
BUILD_CUES = (
    r"\b(?:make|build|create|design|set up|want|need|like|get)\b.{0,40}?"
    r"\b(?:tool|app|tracker|sub-?agent|agent|widget|checklist)s?\b",
    r"(?:ツール|アプリ|トラッカー).{0,10}(?:作|ほしい|欲しい)",
)

# Which log a logging request is for: (pattern, English name, Japanese name).
LOGS = (
    (r"water|drank|drink|hydrat|水", "Hydration log", "水分ログ"),
    (r"sleep|slept|nap|睡眠|寝", "Sleep log", "睡眠ログ"),
    (r"mood|feel|気分", "Mood log", "気分ログ"),
    (
        r"workout|run|ran|gym|cycl|swim|push-?up|exercise|yoga|walk|運動|トレーニング|筋トレ",
        "Workout log",
        "運動ログ",
    ),
    (r"meal|ate|eat|breakfast|lunch|dinner|food|snack|食|ご飯", "Meal log", "食事ログ"),
)


def _japanese(request: RoutedRequest) -> bool:
    return detect_language(request.text[:400]) == "ja"


def _quote(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= QUOTE_CHARS else line[: QUOTE_CHARS - 1] + "…"


def _keep_in_mind(request: RoutedRequest, japanese: bool) -> str:
    if not request.preferences:
        return ""
    said = _quote(request.preferences[0].text)
    if japanese:
        return f"「{said}」ということも覚えておきますね。"
    return f" I'll keep in mind what you told me: “{said}”."


def _record(request: RoutedRequest) -> int:
    return routed_request_record(
        user=request.user,
        intent=request.intent,
        text=request.text,
        preference_ids=[preference.id for preference in request.preferences],
    ).id


PHRASES = {
    "logged": {"en": "{tool}: {reply}", "ja": "{tool}：{reply}", "ko": "{tool}: {reply}"},
    "undo": {"en": "Undo", "ja": "取り消す", "ko": "취소"},
    "open": {"en": "Open the tool", "ja": "ツールを開く", "ko": "도구 열기"},
    "install": {"en": "Install {name}", "ja": "{name}を追加", "ko": "{name} 설치"},
    "builder": {"en": "Open the builder", "ja": "ビルダーを開く", "ko": "빌더 열기"},
    "no_tool": {
        "en": "You don't have a tool for this yet. {name} would fit: install it with one tap "
        "and I'll log this there.",
        "ja": "まだこれを記録するツールがありません。「{name}」が合いそうです。"
        "ワンタップで追加すると、そこに記録します。",
        "ko": "아직 이걸 기록할 도구가 없어요. “{name}”이 잘 맞아요. "
        "한 번에 설치하면 거기에 기록할게요.",
    },
    "no_blueprint": {
        "en": "You don't have a tool for this yet. Describe it in the builder and I'll make one.",
        "ja": "まだこれを記録するツールがありません。ビルダーで説明してくだされば作ります。",
        "ko": "아직 이걸 기록할 도구가 없어요. 빌더에서 설명해 주시면 만들어 드릴게요.",
    },
    "failed": {
        "en": "I couldn't hand this to {tool}: {reason}",
        "ja": "{tool}に渡せませんでした：{reason}",
        "ko": "{tool}에 전달하지 못했어요: {reason}",
    },
    "build": {
        "en": "I can build “{name}” for you: {fields}. Open the builder to preview it, change "
        "it in words and install it.",
        "ja": "「{name}」を作れます（{fields}）。ビルダーでプレビューし、言葉で変更して追加できます。",
        "ko": "“{name}”을 만들 수 있어요 ({fields}). 빌더에서 미리 보고, 말로 바꾸고, 설치하세요.",
    },
    "build_refused": {
        "en": "I can't build that as a tool: {reason}",
        "ja": "それはツールとして作れません：{reason}",
        "ko": "그건 도구로 만들 수 없어요: {reason}",
    },
}


def _say(key: str, language: str, **values: str) -> str:
    table = PHRASES[key]
    return table.get(language, table["en"]).format(**values)


def _language_of(request: RoutedRequest) -> str:
    if re.search(r"[\uac00-\ud7a3]", request.text):
        return "ko"
    return "ja" if _japanese(request) else "en"


def log_entry(request: RoutedRequest) -> RouteResult:
    """Hand the words to the person's tool that fits them (its units, choices, name,
    keywords): the entry is made by the tool's own chat (`tool_chat_send`), with an undo. With
    no such tool, offer the closest catalogue blueprint (one tap installs it and logs this)."""
    language = _language_of(request)
    installation_id = tool_for_words(user=request.user, text=request.text)
    if installation_id is None:
        routed_id = _record(request)
        builder = RouteLink(
            label=_say("builder", language), url=f"{reverse('tool-new')}?routed={routed_id}"
        )
        try:
            match = blueprint_match(text=request.text)
        except BuildRefused:
            return RouteResult(_say("no_blueprint", language), links=(builder,))
        slug = match.blueprint.slug
        name = spec_localised(match.blueprint.spec, language)["name"]
        install = RouteLink(
            label=_say("install", language, name=name),
            url=f"{reverse('tool-catalogue-install', args=[slug])}?routed={routed_id}",
            method="post",
        )
        return RouteResult(_say("no_tool", language, name=name), links=(install, builder))
    tool = installation_detail(
        user=request.user, installation_id=installation_id, language=language
    )
    open_tool = RouteLink(label=_say("open", language), url=reverse("tool", args=[installation_id]))
    try:
        sent = tool_chat_send(user=request.user, installation_id=installation_id, text=request.text)
    except DomainError as error:
        return RouteResult(
            _say("failed", language, tool=tool.name, reason=error.message), links=(open_tool,)
        )
    links: tuple[RouteLink, ...] = (open_tool,)
    if sent.entry_id is not None:
        undo = RouteLink(
            label=_say("undo", language),
            url=reverse("tool-chat-undo", args=[sent.reply.id]),
            method="post",
        )
        links = (undo, open_tool)
    return RouteResult(_say("logged", language, tool=tool.name, reply=sent.reply.text), links=links)


def plan(request: RoutedRequest) -> RouteResult:
    _record(request)
    if _japanese(request):
        return RouteResult(
            "プランナーに渡しますね。サブエージェントができたら計画を作ります。"
            + _keep_in_mind(request, True)
        )
    return RouteResult(
        "I'll hand this to your planner, and it will make the plan once your sub-agents are "
        "set up." + _keep_in_mind(request, False)
    )


def build_tool(request: RoutedRequest) -> RouteResult:
    """The builder flow: say what would be built (the person's memories shape it) and link to
    the builder page, pre-filled with the request."""
    routed_id = _record(request)
    language = _language_of(request)
    builder = RouteLink(
        label=_say("builder", language), url=f"{reverse('tool-new')}?routed={routed_id}"
    )
    try:
        built = spec_build(request=request.text, user=request.user)
    except DomainError as error:
        return RouteResult(_say("build_refused", language, reason=error.message), links=(builder,))
    spec = built.spec
    fields = ", ".join(field["label"] for field in spec["fields"][:4])
    return RouteResult(_say("build", language, name=spec["name"], fields=fields), links=(builder,))


INTENTS = (
    Intent(
        name="log_entry",
        description="Log something in a tracker: water, a workout, a meal, mood or sleep",
        examples=LOG_EXAMPLES,
        handler=log_entry,
        domains=("food", "fitness", "health"),
        cues=LOG_CUES,
    ),
    Intent(
        name="plan",
        description="Make a plan: meals for the week, a workout or training plan",
        examples=PLAN_EXAMPLES,
        handler=plan,
        domains=("food", "fitness", "health"),
        cues=PLAN_CUES,
    ),
    Intent(
        name="build_tool",
        description="Build a new tool (a sub-agent) the person describes",
        examples=BUILD_EXAMPLES,
        handler=build_tool,
        cues=BUILD_CUES,
    ),
)


def register_all() -> None:
    for intent in INTENTS:
        register_intent(intent)
