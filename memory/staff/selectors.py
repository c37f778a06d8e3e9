"""What the staff console reads: people and their requests, the audit log, aggregates, key and
worker status. Ids, states, counts and dates only; never anything a person wrote."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Count, QuerySet

from accounts.models import ErasureRequest, User
from macaron.celery import app as celery_app
from macaron.health import check_heartbeat
from macaron.vault import key_rotation_status
from memory.models import AuditEvent, Message, TransferJob
from memory.privacy.audit import AuditAction

PEOPLE_LIMIT = 50
ID_MAX = 2**63 - 1  # ids are bigints: a larger one (from a URL or a form) is not found
QUEUES = ("celery",)


@dataclass(frozen=True)
class PersonRow:
    id: int
    email: str
    date_joined: datetime
    is_active: bool
    is_staff: bool
    exports: list[TransferJob]
    erasures: list[ErasureRequest]


def _rows(users: list[User]) -> list[PersonRow]:
    ids = [user.pk for user in users]
    exports: dict[int, list[TransferJob]] = {pk: [] for pk in ids}
    for job in TransferJob.objects.filter(user_id__in=ids, kind=TransferJob.Kind.EXPORT).order_by(
        "-created_at"
    ):
        exports[job.user_id].append(job)
    erasures: dict[int, list[ErasureRequest]] = {pk: [] for pk in ids}
    for request in ErasureRequest.objects.filter(subject_id__in=ids).order_by("-created_at"):
        erasures[request.subject_id].append(request)
    return [
        PersonRow(
            id=user.pk,
            email=user.email,
            date_joined=user.date_joined,
            is_active=user.is_active,
            is_staff=user.is_staff,
            exports=exports[user.pk],
            erasures=erasures[user.pk],
        )
        for user in users
    ]


def people_search(*, query: str) -> list[PersonRow]:
    """People whose e-mail is `query` or starts with it (case-insensitive), with their export
    jobs and erasure requests (states only)."""
    query = query.strip()
    if not query:
        return []
    return _rows(
        list(User.objects.filter(email__istartswith=query).order_by("email")[:PEOPLE_LIMIT])
    )


def person_for_staff(*, person_id: int) -> PersonRow | None:
    if not 0 < person_id <= ID_MAX:
        return None
    rows = _rows(list(User.objects.filter(pk=person_id)))
    return rows[0] if rows else None


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    actor_type: str = ""
    subject_id: int | None = None
    action: str = ""
    purpose: str = ""
    since: datetime | None = None
    until: datetime | None = None
    memory_id: int | None = None


def audit_search(filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Audit events matching every given filter, newest first; `purpose` matches a prefix."""
    events = AuditEvent.objects.all()
    if filters.actor_id is not None:
        events = events.filter(actor_id=filters.actor_id)
    if filters.actor_type:
        events = events.filter(actor_type=filters.actor_type)
    if filters.subject_id is not None:
        events = events.filter(subject_user_id=filters.subject_id)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.purpose:
        events = events.filter(purpose__istartswith=filters.purpose)
    if filters.since is not None:
        events = events.filter(created_at__gte=filters.since)
    if filters.until is not None:
        events = events.filter(created_at__lt=filters.until)
    if filters.memory_id is not None:
        events = events.filter(memory_ids__contains=[filters.memory_id])
    return events.order_by("-created_at", "-id")


@dataclass
class ComplianceReport:
    since: datetime
    until: datetime
    memories: list[tuple[str, str, int]] = field(default_factory=list)  # domain, privacy, n
    access: list[tuple[str, str, int]] = field(default_factory=list)  # actor type, action, n
    exports: list[tuple[str, int]] = field(default_factory=list)  # status, n
    imports: list[tuple[str, int]] = field(default_factory=list)
    erasures: list[tuple[str, str, int]] = field(default_factory=list)  # origin, state, n
    policy_denials: int = 0
    break_glass_reads: int = 0

    def rows(self) -> list[tuple[str, str, str, int]]:
        """Every figure as (section, key, sub-key, count): the CSV and the tables."""
        rows = [("memories", domain, privacy, n) for domain, privacy, n in self.memories]
        rows += [("access", actor, action, n) for actor, action, n in self.access]
        rows += [("exports", status, "", n) for status, n in self.exports]
        rows += [("imports", status, "", n) for status, n in self.imports]
        rows += [("erasures", origin, state, n) for origin, state, n in self.erasures]
        rows.append(("policy_denials", "", "", self.policy_denials))
        rows.append(("break_glass_reads", "", "", self.break_glass_reads))
        return rows


MEMORY_COUNTS_SQL = """
SELECT COALESCE(domain, '(none)'), privacy, count(*)
  FROM memory_memory
  LEFT JOIN LATERAL unnest(CASE WHEN cardinality(domains) = 0 THEN ARRAY[NULL]::varchar[]
                                ELSE domains END) AS domain ON true
 WHERE created_at >= %s AND created_at < %s
 GROUP BY 1, 2
 ORDER BY 1, 2
"""


def compliance_report(*, since: datetime, until: datetime) -> ComplianceReport:
    """Aggregates over [since, until): memories created (by domain and privacy level; a memory
    with several domains counts once per domain), audit events by actor type and action,
    export and import jobs by status, erasure requests by origin and state, policy denials
    and break-glass reads."""
    report = ComplianceReport(since=since, until=until)
    with connection.cursor() as cursor:
        cursor.execute(MEMORY_COUNTS_SQL, [since, until])
        report.memories = [(d, p, n) for d, p, n in cursor.fetchall()]
    events = AuditEvent.objects.filter(created_at__gte=since, created_at__lt=until)
    report.access = [
        (row["actor_type"], row["action"], row["n"])
        for row in events.values("actor_type", "action")
        .annotate(n=Count("id"))
        .order_by("actor_type", "action")
    ]
    by_action = Counter(dict(events.values_list("action").annotate(n=Count("id"))))
    report.policy_denials = by_action[AuditAction.POLICY_DENY.value]
    report.break_glass_reads = by_action[AuditAction.BREAK_GLASS.value]
    jobs = TransferJob.objects.filter(created_at__gte=since, created_at__lt=until)
    for kind, target in (
        (TransferJob.Kind.EXPORT, "exports"),
        (TransferJob.Kind.IMPORT, "imports"),
    ):
        counts = jobs.filter(kind=kind).values_list("status").annotate(n=Count("id"))
        setattr(report, target, sorted(counts))
    report.erasures = sorted(
        ErasureRequest.objects.filter(created_at__gte=since, created_at__lt=until)
        .values_list("origin", "state")
        .annotate(n=Count("id"))
    )
    return report


def _queue_length(name: str) -> int | None:
    """Messages waiting in a broker queue, where the transport can tell (Redis, the database
    transport, AMQP); None when it cannot be measured."""
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return int(conn.default_channel.queue_declare(queue=name, passive=True).message_count)
    except Exception:  # any transport error means "not measurable", shown as such
        return None


@dataclass(frozen=True)
class SystemStatus:
    keys: dict
    heartbeat: dict
    unprocessed_messages: int
    queues: dict[str, int | None]


def system_status() -> SystemStatus:
    """Key rotation status (master keys, data keys per master key) and worker/queue health."""
    return SystemStatus(
        keys=key_rotation_status(),
        heartbeat=check_heartbeat(),
        unprocessed_messages=Message.objects.filter(
            processed_at__isnull=True, role=Message.Role.USER
        ).count(),
        queues={name: _queue_length(name) for name in QUEUES},
    )


@dataclass(frozen=True)
class StaffRead:
    at: datetime
    kind: str
    reason: str


def break_glass_notices(*, user) -> list[StaffRead]:
    """Staff's reasoned reads of the person's data, newest first (shown on their memories
    page)."""
    events = AuditEvent.objects.filter(
        subject_user_id=user.pk, action=AuditAction.BREAK_GLASS.value
    ).order_by("-created_at")[:20]
    return [
        StaffRead(
            at=event.created_at,
            kind=str(event.detail.get("kind", "")),
            reason=str(event.detail.get("reason", "")),
        )
        for event in events
    ]
