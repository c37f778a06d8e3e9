"""Entry values checked against the spec's fields: one function per field type, one clear
message per field. Values arrive from a form (strings) or from JSON (typed); both are accepted
and stored in one canonical JSON form:

number → float, integer → int, duration → minutes (float), rating → int 1–5, boolean → bool,
choice → str, multichoice → list[str], date → "YYYY-MM-DD", time → "HH:MM",
datetime → ISO 8601 with offset, text → str, photo → "data:image/...;base64,..." (re-encoded
without metadata by subagents.photos).
"""

import base64
import binascii
import math
import re
from datetime import date, datetime, time
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from macaron.errors import DomainError
from subagents.photos import PhotoError, photo_data_url

MAX_TEXT_CHARS = 2_000
RATING_MIN, RATING_MAX = 1, 5
TRUE_WORDS = {"true", "on", "yes", "1"}
FALSE_WORDS = {"false", "off", "no", "0", ""}
DURATION_HM = re.compile(r"^(\d{1,4}):([0-5]\d)$")  # "1:30" = 90 minutes
# The declared type is not trusted: subagents.photos looks at the bytes.
DATA_URL = re.compile(r"^data:image/[a-z0-9.+-]{1,40};base64,([A-Za-z0-9+/=\s]+)$")


class EntryError(DomainError):
    """An entry was refused; `fields` names each field key and why."""

    code = "invalid_entry"


class _Invalid(Exception):
    pass


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise _Invalid(_("Enter a number."))
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            raise _Invalid(_("Enter a number.")) from None
    else:
        raise _Invalid(_("Enter a number."))
    if not math.isfinite(number):
        raise _Invalid(_("Enter a number."))
    return number


def _bounded(number: float, field: dict) -> None:
    low, high = field.get("min"), field.get("max")
    if low is not None and high is not None and not low <= number <= high:
        raise _Invalid(_("Enter a value between %(min)s and %(max)s.") % _bounds(field))
    if low is not None and number < low:
        raise _Invalid(_("Enter a value of at least %(min)s.") % _bounds(field))
    if high is not None and number > high:
        raise _Invalid(_("Enter a value of at most %(max)s.") % _bounds(field))


def _bounds(field: dict) -> dict:
    return {"min": _plain(field.get("min")), "max": _plain(field.get("max"))}


def _plain(number: float | int | None) -> str:
    if number is None:
        return ""
    return str(int(number)) if float(number).is_integer() else str(number)


def _integer(value: Any) -> int:
    number = _number(value)
    if not number.is_integer():
        raise _Invalid(_("Enter a whole number."))
    return int(number)


def _duration(value: Any) -> float:
    if isinstance(value, str) and (match := DURATION_HM.match(value.strip())):
        return float(int(match[1]) * 60 + int(match[2]))
    number = _number(value)
    if number < 0:
        raise _Invalid(_("A duration cannot be negative."))
    return number


def _rating(value: Any) -> int:
    number = _integer(value)
    if not RATING_MIN <= number <= RATING_MAX:
        raise _Invalid(_("Enter a rating from 1 to 5."))
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise _Invalid(_("Enter yes or no."))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(_("Enter text."))
    if len(value) > MAX_TEXT_CHARS:
        raise _Invalid(_("Keep it under %(limit)s characters.") % {"limit": MAX_TEXT_CHARS})
    return value.strip()


def _choice(value: Any, field: dict) -> str:
    if not isinstance(value, str) or value not in field["choices"]:
        raise _Invalid(_("Choose one of: %(choices)s.") % {"choices": ", ".join(field["choices"])})
    return value


def _multichoice(value: Any, field: dict) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise _Invalid(_("Choose from: %(choices)s.") % {"choices": ", ".join(field["choices"])})
    unknown = [item for item in items if item not in field["choices"]]
    if unknown:
        raise _Invalid(
            _("Unknown choice %(choice)s; choose from: %(choices)s.")
            % {"choice": repr(unknown[0]), "choices": ", ".join(field["choices"])}
        )
    return [choice for choice in field["choices"] if choice in items]  # spec order, no repeats


def _date(value: Any) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise _Invalid(_("Enter a date as YYYY-MM-DD.")) from None


def _time(value: Any) -> str:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    text = str(value).strip()
    if not re.match(r"^\d{2}:\d{2}(:\d{2})?$", text):
        raise _Invalid(_("Enter a time as HH:MM."))
    try:
        return time.fromisoformat(text).strftime("%H:%M")
    except ValueError:
        raise _Invalid(_("Enter a time as HH:MM.")) from None


def _datetime(value: Any, zone) -> str:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise _Invalid(_("Enter a date and time as YYYY-MM-DDTHH:MM.")) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat(timespec="minutes")


def _photo(value: Any) -> str:
    if isinstance(value, str):
        match = DATA_URL.match(value)
        if match is None:
            raise _Invalid(_("Upload a JPEG, PNG or WebP image."))
        try:
            value = base64.b64decode(match[1], validate=False)
        except binascii.Error:
            raise _Invalid(_("Upload a JPEG, PNG or WebP image.")) from None
    if not isinstance(value, bytes):
        raise _Invalid(_("Upload a JPEG, PNG or WebP image."))
    try:
        return photo_data_url(value)
    except PhotoError as problem:
        raise _Invalid(str(problem)) from None


def _clean_one(value: Any, field: dict, zone) -> Any:
    kind = field["type"]
    if kind == "number":
        number = _number(value)
        _bounded(number, field)
        return number
    if kind == "integer":
        number = _integer(value)
        _bounded(number, field)
        return number
    if kind == "duration":
        minutes = _duration(value)
        _bounded(minutes, field)
        return minutes
    if kind == "rating":
        rating = _rating(value)
        _bounded(rating, field)
        return rating
    if kind == "boolean":
        return _boolean(value)
    if kind == "choice":
        return _choice(value, field)
    if kind == "multichoice":
        return _multichoice(value, field)
    if kind == "date":
        return _date(value)
    if kind == "time":
        return _time(value)
    if kind == "datetime":
        return _datetime(value, zone)
    if kind == "photo":
        return _photo(value)
    return _text(value)


def entry_values_clean(*, spec: dict, values: Any, zone) -> dict:
    """The entry's values in canonical form, or EntryError naming every refused field.

    Missing values take the field's default; a required field without a value is refused; keys
    the spec does not have are refused. A boolean left out of a form means "no".
    """
    if not isinstance(values, dict):
        raise EntryError(_("The values must be an object keyed by field."))
    fields = {field["key"]: field for field in spec["fields"]}
    problems: dict[str, list[str]] = {
        key: [_("This tool has no such field.")] for key in values if key not in fields
    }
    clean: dict[str, Any] = {}
    for key, field in fields.items():
        value = values.get(key)
        if _empty(value) and field["type"] != "boolean":
            if "default" in field and key not in values:
                value = field["default"]
            elif field.get("required"):
                problems[key] = [_("This field is required.")]
                continue
            else:
                continue
        if value is None and field["type"] == "boolean":
            if "default" in field:
                clean[key] = bool(field["default"])
            elif field.get("required"):
                problems[key] = [_("This field is required.")]
            continue
        try:
            clean[key] = _clean_one(value, field, zone)
        except _Invalid as problem:
            problems[key] = [str(problem)]
    if problems:
        key, messages = next(iter(problems.items()))
        label = fields[key]["label"] if key in fields else key
        raise EntryError(f"{label}: {messages[0]}", fields=problems)
    if not clean:
        raise EntryError(_("Fill in at least one field."))
    return clean


def value_display(value: Any, field: dict) -> str:
    """A stored value as a short text (for the log, memory templates and the chat)."""
    if value is None:
        return ""
    kind = field["type"]
    if kind == "boolean":
        return _("yes") if value else _("no")
    if kind == "multichoice":
        return ", ".join(value)
    if kind == "photo":
        return _("photo")
    if isinstance(value, float):
        return _plain(value)
    return str(value)
