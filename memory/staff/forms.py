"""Input of the staff console's pages: validated here, refused with a message next to the field."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from memory.models import AuditEvent
from memory.privacy.audit import AuditAction
from memory.staff.selectors import ID_MAX, AuditFilters
from memory.staff.services import KINDS, REASON_MAX


def _id_field(label) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=1, max_value=ID_MAX)


FIRST_YEAR, LAST_YEAR = 1970, 9998  # beyond these a day's bounds could overflow


def _start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _days_in_range(form: forms.Form, data: dict) -> None:
    for name in ("since", "until"):
        day = data.get(name)
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            form.add_error(
                name,
                _("Choose a day between %(first)s and %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR},
            )


class PeopleSearchForm(forms.Form):
    q = forms.CharField(label=_("E-mail (exact or its beginning)"), max_length=254, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX)


class ErasureForm(ReasonForm):
    keep_published = forms.BooleanField(
        label=_("Keep their published sub-agents for the community, anonymised"), required=False
    )


class BreakGlassForm(ReasonForm):
    kind = forms.ChoiceField(
        label=_("What"),
        choices=[("memory", _("a memory")), ("message", _("a message"))],
    )
    item_id = forms.IntegerField(label=_("Its id"), min_value=1, max_value=ID_MAX)

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        assert kind in KINDS
        return kind


class AuditSearchForm(forms.Form):
    actor_id = _id_field(_("Actor id"))
    actor_type = forms.ChoiceField(
        label=_("Actor type"),
        required=False,
        choices=[("", "—"), *AuditEvent.Actor.choices],
    )
    subject_id = _id_field(_("Person id"))
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", "—"), *AuditAction.choices]
    )
    purpose = forms.CharField(label=_("Purpose begins with"), max_length=120, required=False)
    since = forms.DateField(label=_("From (day)"), required=False)
    until = forms.DateField(label=_("Until (day, included)"), required=False)
    memory_id = _id_field(_("Memory id"))

    def clean(self):
        data = super().clean()
        _days_in_range(self, data)
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end is before the start."))
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            actor_id=data.get("actor_id"),
            actor_type=data.get("actor_type") or "",
            subject_id=data.get("subject_id"),
            action=data.get("action") or "",
            purpose=(data.get("purpose") or "").strip(),
            since=_start(data["since"]) if data.get("since") else None,
            until=_start(data["until"] + timedelta(days=1)) if data.get("until") else None,
            memory_id=data.get("memory_id"),
        )


REPORT_DEFAULT_DAYS = 30
REPORT_MAX_DAYS = 3660


class ReportForm(forms.Form):
    since = forms.DateField(label=_("From (day)"), required=False)
    until = forms.DateField(label=_("Until (day, included)"), required=False)

    def clean(self):
        data = super().clean()
        _days_in_range(self, data)
        if self.errors:
            return data
        today = timezone.localdate()
        until = data.get("until") or today
        since = data.get("since") or until - timedelta(days=REPORT_DEFAULT_DAYS - 1)
        if until < since:
            self.add_error("until", _("The end is before the start."))
        elif (until - since).days > REPORT_MAX_DAYS:
            self.add_error("since", _("A report covers at most ten years."))
        data["since"], data["until"] = since, until
        return data

    def window(self) -> tuple[datetime, datetime]:
        data = self.cleaned_data
        return _start(data["since"]), _start(data["until"] + timedelta(days=1))


class PolicyActivateForm(forms.Form):
    version = forms.IntegerField(label=_("Version"), min_value=1, max_value=ID_MAX)
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX)
