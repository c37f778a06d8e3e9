"""The person's own access log: who read their data, did what to their account, and why.

Reads from the person's audit stream only (`user:<id>`), so nobody sees another person's log.
Sub-agents are named through a registry the sub-agents app fills (memory never imports it).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Count, Func, IntegerField, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from macaron.timezones import user_zone
from memory.models import AuditEvent
from memory.privacy.audit import Actor, AuditAction
from memory.privacy.chain import person_stream

# (user, installation ids, language) → their names, for "The Meal planner read 2 memories".
ReaderNamer = Callable[[object, list[int], str], dict[int, str]]
_reader_namers: list[ReaderNamer] = []


def reader_namer_register(namer: ReaderNamer) -> None:
    if namer not in _reader_namers:
        _reader_namers.append(namer)


def _reader_names(user, installation_ids: list[int], language: str) -> dict[int, str]:
    names: dict[int, str] = {}
    for namer in list(_reader_namers):
        names.update(namer(user, installation_ids, language))
    return names


ACTION_LABELS = {
    AuditAction.RETRIEVE: gettext_lazy("read memories"),
    AuditAction.READ_SUMMARY: gettext_lazy("read memories (daily total)"),
    AuditAction.FORGET: gettext_lazy("forgot memories"),
    AuditAction.TRASH: gettext_lazy("moved memories to the trash"),
    AuditAction.RESTORE: gettext_lazy("restored memories from the trash"),
    AuditAction.CONVERSATION_DELETE: gettext_lazy("deleted a conversation"),
    AuditAction.CHAT_ROUTE: gettext_lazy("passed your message to a tool"),
    AuditAction.LOGIN: gettext_lazy("signed in"),
    AuditAction.LOGIN_FAILED: gettext_lazy("failed to sign in"),
    AuditAction.LOGOUT: gettext_lazy("signed out"),
    AuditAction.LOGOUT_EVERYWHERE: gettext_lazy("signed out everywhere"),
    AuditAction.PASSWORD_CHANGE: gettext_lazy("changed the password"),
    AuditAction.TOKEN_CREATE: gettext_lazy("created an API token"),
    AuditAction.TOKEN_USE: gettext_lazy("used an API token"),
    AuditAction.TOKEN_REVOKE: gettext_lazy("revoked an API token"),
    AuditAction.KEY_ROTATE: gettext_lazy("rotated an encryption key"),
    AuditAction.KEY_SHRED: gettext_lazy("destroyed an encryption key"),
    AuditAction.EXPORT: gettext_lazy("exported your data"),
    AuditAction.PERMISSION_CHANGE: gettext_lazy("changed a permission"),
    AuditAction.ERASE: gettext_lazy("erased data"),
}
ACTOR_LABELS = {
    Actor.PERSON: gettext_lazy("You"),
    Actor.COMPANION: gettext_lazy("Your companion"),
    Actor.SUBAGENT: gettext_lazy("A tool"),
    Actor.STAFF: gettext_lazy("Staff"),
    Actor.SYSTEM: gettext_lazy("Macaron"),
}
HIDDEN = (AuditAction.COMPACTION,)  # the chain's own bookkeeping


@dataclass(frozen=True)
class AccessItem:
    id: int
    at: datetime
    day: date | None  # a daily total's day
    actor_type: str
    actor: str
    action: str
    action_label: str
    memory_ids: list[int]
    memory_count: int
    reads: int
    purpose: str


@dataclass(frozen=True)
class AccessSummary:
    today: list[str]  # sentences about today's reads
    staff: str  # "Staff never read your data." or how often they did
    staff_items: list[AccessItem]


def access_events(*, user) -> QuerySet[AuditEvent]:
    """The person's audit records, newest first (only their own stream)."""
    return (
        AuditEvent.objects.filter(stream=person_stream(user.id))
        .exclude(action__in=HIDDEN)
        .order_by("-sequence")
    )


def _who(event: AuditEvent, names: dict[int, str]) -> str:
    if event.action == AuditAction.LOGIN_FAILED:
        return _("Someone")
    installation_id = (event.detail or {}).get("installation_id")
    if event.actor_type == Actor.SUBAGENT and installation_id in names:
        return names[installation_id]
    if event.actor_type == Actor.PERSON and event.actor_id not in (None, event.subject_user_id):
        return _("Another person")
    if event.actor_type == Actor.PERSON and event.purpose == "api":
        return _("You, through the API")
    return str(ACTOR_LABELS.get(event.actor_type, event.actor_type))


def access_items(*, user, events: list[AuditEvent], language: str) -> list[AccessItem]:
    """Plain, translated rows for a page of records (one query for the tools' names)."""
    wanted = sorted(
        {
            e.detail["installation_id"]
            for e in events
            if isinstance((e.detail or {}).get("installation_id"), int)
        }
    )
    names = _reader_names(user, wanted, language) if wanted else {}
    items = []
    for event in events:
        summary = event.action == AuditAction.READ_SUMMARY
        detail = event.detail or {}
        items.append(
            AccessItem(
                id=event.id,
                at=event.created_at,
                day=date.fromisoformat(detail["day"]) if summary else None,
                actor_type=event.actor_type,
                actor=_who(event, names),
                action=event.action,
                action_label=str(ACTION_LABELS.get(event.action, event.action)),
                memory_ids=list(event.memory_ids),
                memory_count=detail["memories"] if summary else len(event.memory_ids),
                reads=detail["reads"] if summary else int(event.action == AuditAction.RETRIEVE),
                purpose=event.purpose,
            )
        )
    return items


class Cardinality(Func):
    function = "cardinality"
    output_field = IntegerField()


def access_summary(*, user, language: str, now: datetime | None = None) -> AccessSummary:
    """In words: who read the person's memories today (their own day), and whether staff ever
    touched their data."""
    zone = user_zone(user)
    today = timezone.localtime(now or timezone.now(), zone).date()
    since = datetime.combine(today, time.min, tzinfo=zone)
    reads = (
        access_events(user=user)
        .filter(action=AuditAction.RETRIEVE, created_at__gte=since)
        .exclude(actor_type=Actor.STAFF)
        .values("actor_type", "purpose", "detail__installation_id")
        .annotate(reads=Count("id"), memories=Sum(Cardinality("memory_ids")))
        .order_by("actor_type", "purpose", "detail__installation_id")
    )
    rows = list(reads)
    wanted = [r["detail__installation_id"] for r in rows if r["detail__installation_id"]]
    names = _reader_names(user, wanted, language) if wanted else {}
    lines = []
    companion = sum(r["memories"] or 0 for r in rows if r["actor_type"] == Actor.COMPANION)
    lines.append(
        ngettext(
            "Your companion read %(count)d memory to answer you today.",
            "Your companion read %(count)d memories to answer you today.",
            companion,
        )
        % {"count": companion}
    )
    tools: dict[str, int] = {}
    for row in rows:
        if row["actor_type"] == Actor.SUBAGENT:
            name = names.get(row["detail__installation_id"]) or _("A tool")
            tools[name] = tools.get(name, 0) + (row["memories"] or 0)
    for name, count in sorted(tools.items()):
        lines.append(
            ngettext(
                "%(name)s read %(count)d memory today.",
                "%(name)s read %(count)d memories today.",
                count,
            )
            % {"name": name, "count": count}
        )
    staff_events = list(access_events(user=user).filter(actor_type=Actor.STAFF)[:50])
    staff_items = access_items(user=user, events=staff_events, language=language)
    if not staff_events:
        staff = _("Staff never read your data.")
    else:
        total = access_events(user=user).filter(actor_type=Actor.STAFF).count()
        staff = ngettext(
            "Staff accessed your data %(count)d time; each access and its reason is listed.",
            "Staff accessed your data %(count)d times; each access and its reason is listed.",
            total,
        ) % {"count": total}
    return AccessSummary(today=lines, staff=staff, staff_items=staff_items)
