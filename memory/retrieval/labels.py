"""The words shown for stored codes (topics), in the reader's language."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DOMAIN_LABELS: dict[str, Promise] = {
    "food": _("Food"),
    "fitness": _("Fitness"),
    "health": _("Health"),
    "travel": _("Travel"),
    "finance": _("Finance"),
    "relationships": _("Relationships"),
    "work": _("Work"),
    "study": _("Study"),
    "hobbies": _("Hobbies"),
}


def domain_label(domain: str) -> str:
    """A topic's name; an unknown code (a newer topic) is shown as it is stored."""
    return str(DOMAIN_LABELS.get(domain, domain))
