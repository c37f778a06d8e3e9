"""Stored codes shown as words in the reader's language (an unknown code, from a newer
release, is shown as stored)."""

from django import template
from django.db import models

from memory.models import AuditEvent, Memory, TransferJob
from memory.privacy.audit import AuditAction
from memory.retrieval import labels

register = template.Library()


def _label(choices: type[models.TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@register.filter
def domain_label(domain: str) -> str:
    """A memory topic's name."""
    return labels.domain_label(domain)


@register.filter
def audit_action_label(action: str) -> str:
    return _label(AuditAction, action)


@register.filter
def actor_label(actor_type: str) -> str:
    return _label(AuditEvent.Actor, actor_type)


@register.filter
def memory_kind_label(kind: str) -> str:
    return _label(Memory.Kind, kind)


@register.filter
def privacy_label(privacy: str) -> str:
    return _label(Memory.Privacy, privacy)


@register.filter
def transfer_status_label(status: str) -> str:
    return _label(TransferJob.Status, status)


@register.filter
def reason_for(reasons: dict, memory_id: int) -> str:
    """The sentence on why a memory was used (`memory.learning.explain`), if any."""
    return reasons.get(memory_id, "") if isinstance(reasons, dict) else ""


@register.filter
def get_recall(figures: dict, name: str) -> str:
    """One recall figure of a measured effect, three decimals ("—" when missing)."""
    value = figures.get(name) if isinstance(figures, dict) else None
    return f"{value:.3f}" if isinstance(value, int | float) else "—"
