"""The erasure workflow: a person deletes their account (after a grace period), or staff erase
a person on request with a reason. Both are rows (`ErasureRequest`) and both are carried out by
`erasure_request_execute`, which hands the account to the eraser memory registered
(`accounts.hooks.account_erase`: crypto-shredding, every app's eraser, the account row).

During the grace period the account is deactivated: every session ends, every API token is
revoked and logging in is refused; logging in with the right password offers to cancel the
deletion (`account_deletion_cancel`), which reactivates the account.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.hooks import ErasureOptions, account_erase
from accounts.models import ErasureRequest, User
from accounts.services import user_sign_out_everywhere
from macaron.errors import Conflict, DomainError, NotFound, PermissionDenied

PERSON_REASON = "account deleted by the person"
REASON_MAX = ErasureRequest._meta.get_field("reason").max_length or 120


def deletion_grace() -> timedelta:
    return timedelta(days=max(0, settings.ACCOUNT_DELETION_GRACE_DAYS))


def deletion_pending(*, user: User) -> ErasureRequest | None:
    """The person's pending erasure request, if any."""
    return ErasureRequest.objects.filter(
        subject_id=user.pk, state=ErasureRequest.State.PENDING
    ).first()


def _refuse_if_pending(user: User) -> None:
    if deletion_pending(user=user) is not None:
        raise Conflict(_("An erasure of this account is already pending."), code="erasure_pending")


def _check_deletion_input(*, user: User, password: str, confirmation: str) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(password, str) or not user.check_password(password):
        errors["password"] = [_("That is not your password.")]
    typed = confirmation.strip().lower() if isinstance(confirmation, str) else ""
    if typed != user.email.lower():
        errors["confirm"] = [_("Type your e-mail address exactly to confirm.")]
    if errors:
        raise DomainError(
            _("Please confirm with your password and your e-mail address."),
            code="confirmation_failed",
            fields=errors,
        )


def account_deletion_request(
    *,
    user: User,
    password: str,
    confirmation: str,
    keep_published: bool = False,
    now: datetime | None = None,
) -> ErasureRequest:
    """The person deletes their account. It is deactivated at once (every session ended, every
    token revoked); it is erased when the grace period ends, or now when the grace is 0."""
    _check_deletion_input(user=user, password=password, confirmation=confirmation)
    now = now or timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        _refuse_if_pending(user)
        request = ErasureRequest.objects.create(
            user=user,
            subject_id=user.pk,
            origin=ErasureRequest.Origin.PERSON,
            requested_by=user,
            reason=PERSON_REASON,
            keep_published=bool(keep_published),
            due_at=now + deletion_grace(),
        )
        user_sign_out_everywhere(user=user)
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
    if deletion_grace() == timedelta(0):
        return erasure_request_execute(request_id=request.pk, now=now)
    return request


def account_deletion_cancel(*, user: User) -> ErasureRequest:
    """Keep the account: the person's pending deletion is cancelled and the account reactivated
    (API tokens stay revoked; the person makes new ones)."""
    with transaction.atomic():
        request = (
            ErasureRequest.objects.select_for_update()
            .filter(
                subject_id=user.pk,
                state=ErasureRequest.State.PENDING,
                origin=ErasureRequest.Origin.PERSON,
            )
            .first()
        )
        if request is None:
            raise NotFound("This account has no deletion to cancel.")
        request.state = ErasureRequest.State.CANCELLED
        request.cancelled_at = timezone.now()
        request.save(update_fields=["state", "cancelled_at", "updated_at"])
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
    return request


def erasure_request_create(
    *, staff: User, user: User, reason: str, keep_published: bool = False
) -> ErasureRequest:
    """Staff record a request to erase a person (carried out by `erasure_request_execute`)."""
    if not staff.is_staff:
        raise PermissionDenied("Only staff can file erasure requests.")
    reason = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not reason:
        raise DomainError("Give the reason for the erasure.", fields={"reason": ["Required."]})
    if len(reason) > REASON_MAX:
        raise DomainError(
            f"A reason has at most {REASON_MAX} characters.",
            fields={"reason": [f"At most {REASON_MAX} characters."]},
        )
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        _refuse_if_pending(user)
        return ErasureRequest.objects.create(
            user=user,
            subject_id=user.pk,
            origin=ErasureRequest.Origin.STAFF,
            requested_by=staff,
            reason=reason,
            keep_published=bool(keep_published),
        )


def erasure_request_execute(
    *, request_id: int, actor: User | None = None, now: datetime | None = None
) -> ErasureRequest:
    """Carry out one pending request (idempotent: a done or cancelled one is returned as it is).
    A person's request runs once its grace period has passed; a staff request when staff
    execute it (`actor`, a staff member, is recorded in the audit log with the reason)."""
    now = now or timezone.now()
    if actor is not None and not actor.is_staff:
        raise PermissionDenied("Only staff can execute erasure requests.")
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise NotFound("No such erasure request.")
        if request.state != ErasureRequest.State.PENDING:
            return request
        if request.due_at is not None and request.due_at > now and actor is None:
            return request
        user = User.objects.filter(pk=request.subject_id).first()
        counts: dict[str, int] = {}
        if user is not None:
            counts = account_erase(
                user=user,
                actor=actor,
                reason=request.reason,
                options=ErasureOptions(keep_published=request.keep_published),
            )
        request.state = ErasureRequest.State.DONE
        request.executed_at = timezone.now()
        request.executed_by = actor
        request.counts = counts
        request.save(update_fields=["state", "executed_at", "executed_by", "counts", "updated_at"])
    return request


def erasures_due_execute(*, now: datetime | None = None) -> int:
    """The beat job: carry out every person's deletion whose grace period has passed."""
    now = now or timezone.now()
    due = ErasureRequest.objects.filter(
        state=ErasureRequest.State.PENDING, due_at__lte=now
    ).values_list("pk", flat=True)
    done = 0
    for request_id in list(due):
        if erasure_request_execute(request_id=request_id, now=now).state == "done":
            done += 1
    return done


@dataclass(frozen=True)
class DeletionState:
    """What the login page tells a person whose account is scheduled for deletion."""

    user: User
    request: ErasureRequest


def deletion_state_for_login(*, email: str, password: str) -> DeletionState | None:
    """A deactivated account with a pending deletion whose password this is (else None)."""
    if not isinstance(email, str) or not isinstance(password, str):
        return None
    user = User.objects.filter(email__iexact=email.strip(), is_active=False).first()
    if user is None:
        make_password(password)  # the same work either way: no hint which accounts are inactive
        return None
    if not user.check_password(password):
        return None
    request = deletion_pending(user=user)
    if request is None or request.origin != ErasureRequest.Origin.PERSON:
        return None
    return DeletionState(user=user, request=request)
