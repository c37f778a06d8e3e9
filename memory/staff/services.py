"""What staff do from the console. Every page they open is audited (`staff_view_record`, the
purpose "staff console"); an export or erasure on a person's request goes through the same
services the person uses, with the staff member and the reason recorded; reading a person's
content needs a reason and is recorded as a break-glass read, which the person is shown."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.erasure import erasure_request_create
from accounts.models import ErasureRequest, User
from macaron.errors import DomainError, NotFound, PermissionDenied
from macaron.vault import cipher_for
from memory.learning.versions import policy_version_activate, policy_versions_ensure
from memory.models import GatingPolicy, Memory, Message, TransferJob
from memory.privacy.audit import PURPOSE_MAX, AuditAction, audit_record
from memory.privacy.policies import Reader, ReaderKind, may_read
from memory.staff.selectors import ID_MAX
from memory.transfer.jobs import Gone, export_link_issue
from memory.transfer.tasks import export_start

STAFF_PURPOSE = "staff console"
REASON_MAX = 90  # "export requested by staff: " + the reason fits an audit purpose


def _require_staff(staff: User) -> None:
    if not (staff.is_authenticated and staff.is_staff and staff.is_active):
        raise PermissionDenied(_("Only staff can do this."))


def reason_clean(reason: object) -> str:
    """A reason given by staff: required, one line, at most REASON_MAX characters."""
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not text:
        raise DomainError(_("Give the reason."), fields={"reason": [_("Required.")]})
    if len(text) > REASON_MAX:
        message = _("A reason has at most %(n)s characters.") % {"n": REASON_MAX}
        raise DomainError(message, fields={"reason": [message]})
    return text


def staff_view_record(
    *,
    staff: User,
    page: str,
    subject_user_id: int | None = None,
    detail: dict | None = None,
) -> None:
    """Audit one look at the console: who, which page, about whom (ids only)."""
    _require_staff(staff)
    audit_record(
        action=AuditAction.STAFF_VIEW,
        subject_user_id=subject_user_id,  # None: a page about nobody (the system stream)
        actor=staff,
        purpose=STAFF_PURPOSE,
        detail={"page": page, **(detail or {})},
    )


def _person(person_id: int) -> User:
    person = User.objects.filter(pk=person_id).first() if 0 < person_id <= ID_MAX else None
    if person is None:
        raise NotFound(_("No such person."))
    return person


def staff_export_request(*, staff: User, person_id: int, reason: object) -> TransferJob:
    """Start an export of a person's data on their request; the archive is for the staff member
    who asked (their single-use link), and the person's audit log says who and why."""
    _require_staff(staff)
    reason = reason_clean(reason)
    person = _person(person_id)
    return export_start(user=person, requested_by=staff, reason=reason)


def staff_export_link(*, staff: User, person_id: int, job_id) -> str:
    """A fresh single-use download token for an export this staff member asked for (any
    earlier link stops working); the download itself is audited by `export_download`."""
    _require_staff(staff)
    job = TransferJob.objects.filter(
        user_id=_person(person_id).pk,
        kind=TransferJob.Kind.EXPORT,
        public_id=job_id,
        requested_by=staff,
    ).first()
    if job is None:
        raise NotFound(_("This export is not one you asked for."))
    token = export_link_issue(job=job)
    if token is None:
        raise Gone(_("This export was already downloaded or has expired; start a new one."))
    return token


def staff_erasure_request(
    *, staff: User, person_id: int, reason: object, keep_published: bool = False
) -> ErasureRequest:
    """File an erasure request for a person (executed from the admin's erasure requests)."""
    _require_staff(staff)
    return erasure_request_create(
        staff=staff,
        user=_person(person_id),
        reason=reason_clean(reason),
        keep_published=keep_published,
    )


@dataclass(frozen=True)
class BreakGlassRead:
    kind: str
    item_id: int
    text: str


KINDS = ("memory", "message")
STAFF_BREAK_GLASS = Reader(kind=ReaderKind.STAFF, break_glass=True)


def break_glass_read(
    *, staff: User, person_id: int, kind: str, item_id: int, reason: object
) -> BreakGlassRead:
    """Staff read one memory or message of a person, giving a reason. The read is audited
    (BREAK_GLASS, shown to the person); a secret memory is refused and the refusal audited as
    a policy denial."""
    _require_staff(staff)
    reason = reason_clean(reason)
    if kind not in KINDS:
        raise DomainError(_("Choose a memory or a message."), fields={"kind": [_("Required.")]})
    purpose = f"break-glass: {reason}"[:PURPOSE_MAX]
    if kind == "memory":
        memory = Memory.objects.filter(user_id=person_id, pk=item_id).first()
        if memory is None:
            raise NotFound(_("This person has no such memory."))
        decision = may_read(memory, STAFF_BREAK_GLASS)
        if not decision:
            audit_record(
                action=AuditAction.POLICY_DENY,
                subject_user_id=person_id,
                actor=staff,
                purpose=purpose,
                memory_ids=[memory.pk],
                detail={"reason": decision.reason},
            )
            if decision.reason == "expired":
                raise NotFound(_("This person has no such memory."))
            raise PermissionDenied(_("A secret memory is never shown to staff."))
        blob, memory_ids, detail = memory.text_ct, [memory.pk], {"kind": kind, "reason": reason}
    else:
        message = Message.objects.filter(user_id=person_id, pk=item_id).first()
        if message is None:
            raise NotFound(_("This person has no such message."))
        blob, memory_ids = message.text_ct, []
        detail = {"kind": kind, "message_id": message.pk, "reason": reason}
    audit_record(
        action=AuditAction.BREAK_GLASS,
        subject_user_id=person_id,
        actor=staff,
        purpose=purpose,
        memory_ids=memory_ids,
        detail=detail,
    )
    return BreakGlassRead(kind=kind, item_id=item_id, text=cipher_for(person_id).decrypt(blob))


def staff_policy_versions(*, staff: User) -> list[GatingPolicy]:
    """The scoring policy's versions, newest first, with their measured effect."""
    _require_staff(staff)
    return policy_versions_ensure()


def staff_policy_activate(*, staff: User, version: object, reason: object) -> GatingPolicy:
    """Make a version of the scoring policy the active one (a roll-back when it is older),
    with a reason, recorded in the system's audit stream."""
    _require_staff(staff)
    reason = reason_clean(reason)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= ID_MAX:
        raise DomainError(_("Choose a policy version."), fields={"version": [_("Required.")]})
    chosen, previous = policy_version_activate(version=version)
    audit_record(
        action=AuditAction.SCORING_POLICY,
        subject_user_id=None,
        actor=staff,
        purpose=f"{STAFF_PURPOSE}: {reason}"[:PURPOSE_MAX],
        detail={"version": chosen.version, "previous": previous.version if previous else None},
    )
    return chosen
