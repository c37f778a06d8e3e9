"""What sub-agents handle, registered with the companion's router at start-up.

Until the sub-agents and their builder exist, each handler keeps the routed request (encrypted,
`routed_request_record`) and the companion says where it will go, naming what it will keep in
mind from the person's preferences.
"""

import re

from macaron.text import detect_language
from memory.services import Intent, RoutedRequest, RouteResult, register_intent
from subagents.services import routed_request_record

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


def _record(request: RoutedRequest) -> None:
    routed_request_record(
        user=request.user,
        intent=request.intent,
        text=request.text,
        preference_ids=[preference.id for preference in request.preferences],
    )


def log_entry(request: RoutedRequest) -> RouteResult:
    _record(request)
    japanese = _japanese(request)
    name = next(
        (
            (ja if japanese else en)
            for pattern, en, ja in LOGS
            if re.search(pattern, request.text, re.IGNORECASE)
        ),
        "記録" if japanese else "log",
    )
    if japanese:
        return RouteResult(
            f"{name}に渡しますね。サブエージェントができたらすぐ反映されるよう、メモしておきました。"
        )
    return RouteResult(
        f"I'll hand this to your {name}. I've noted it, and it goes in as soon as your "
        "sub-agents are set up."
    )


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
    _record(request)
    idea = _quote(request.text)
    if _japanese(request):
        return RouteResult(
            f"ツールのアイデアをメモしました:「{idea}」。サブエージェントのビルダーができたら作りますね。"
            + _keep_in_mind(request, True)
        )
    return RouteResult(
        f"I noted your tool idea: “{idea}”. I'll build it once the sub-agent builder is here."
        + _keep_in_mind(request, False)
    )


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
