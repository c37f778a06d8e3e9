"""Forms of the "What I remember" page. They validate shape only; the services decide."""

from datetime import datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from memory.models import Memory
from memory.privacy.policies import MAX_RETENTION_DAYS
from memory.privacy.policies import rules as level_rules
from memory.retrieval.domains import DOMAINS
from memory.retrieval.labels import DOMAIN_LABELS
from memory.retrieval.search import MAX_QUERY_CHARS
from memory.services import MAX_MEMORY_CHARS

DOMAIN_CHOICES = [(domain, DOMAIN_LABELS.get(domain, domain)) for domain in DOMAINS]
MAX_ID = 2**63 - 1
MAX_BULK_IDS = 1_000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MemoryFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=MAX_QUERY_CHARS,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("What did I say about…")}),
    )
    domain = forms.ChoiceField(
        label=_("Topic"), required=False, choices=[("", _("Any topic")), *DOMAIN_CHOICES]
    )
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def selector_filters(self) -> dict:
        data = self.cleaned_data
        return {
            "q": data["q"].strip(),
            "domain": data["domain"] or None,
            "since": data["since"],
            "until": data["until"],
        }


class MemoryCreateForm(forms.Form):
    text = forms.CharField(
        label=_("Something to remember"),
        max_length=MAX_MEMORY_CHARS,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("My sister's birthday is 3 June")}
        ),
    )
    privacy = forms.ChoiceField(
        label=_("Privacy"), choices=Memory.Privacy.choices, initial=Memory.Privacy.NORMAL
    )
    pinned = forms.BooleanField(label=_("Pin it"), required=False)


class PolicyForm(forms.Form):
    """An item's privacy level and rules (a memory's or a sub-agent entry's)."""

    privacy = forms.ChoiceField(
        label=_("Privacy"),
        choices=[
            (Memory.Privacy.NORMAL, _("Normal")),
            (Memory.Privacy.PRIVATE, _("Private")),
            (Memory.Privacy.SECRET, _("Secret")),
        ],
        help_text=_(
            "Private: never shared with sub-agents. Secret: also needs you to sign in again."
        ),
    )
    share_with_subagents = forms.BooleanField(label=_("Sub-agents may use it"), required=False)
    share_with_companion = forms.BooleanField(label=_("The companion may use it"), required=False)
    retention_days = forms.IntegerField(
        label=_("Forget after this many days"),
        required=False,
        min_value=1,
        max_value=MAX_RETENTION_DAYS,
    )
    reauth_required = forms.BooleanField(label=_("Ask me to sign in again first"), required=False)
    expires_at = forms.DateField(
        label=_("Forget after"), required=False, widget=DateInput(), help_text=_("Optional.")
    )

    @staticmethod
    def policy_initial(privacy: str, policy: dict) -> dict:
        effective = level_rules(privacy, policy)
        expires = policy.get("expires_at")
        return {
            "privacy": privacy,
            "share_with_subagents": effective["share_with_subagents"],
            "share_with_companion": effective["share_with_companion"],
            "reauth_required": policy.get("reauth_required", False),
            "retention_days": policy.get("retention_days"),
            "expires_at": expires[:10] if expires else None,
        }

    def policy(self) -> dict:
        """Only the rules that differ from the defaults of the chosen level."""
        data, rules = self.cleaned_data, {}
        defaults = level_rules(data["privacy"], {})
        if data["share_with_subagents"] != defaults["share_with_subagents"]:
            rules["share_with_subagents"] = data["share_with_subagents"]
        if not data["share_with_companion"]:
            rules["share_with_companion"] = False
        if data["reauth_required"]:
            rules["reauth_required"] = True
        if data["retention_days"]:
            rules["retention_days"] = data["retention_days"]
        if data["expires_at"]:  # the end of that day, in the person's own time zone
            end = datetime.combine(data["expires_at"], time.max, timezone.get_current_timezone())
            rules["expires_at"] = end.isoformat()
        return rules


class MemoryEditForm(PolicyForm):
    text = forms.CharField(
        label=_("What I remember"),
        max_length=MAX_MEMORY_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    pinned = forms.BooleanField(label=_("Pinned (never fades)"), required=False)
    domains = forms.MultipleChoiceField(
        label=_("Topics"),
        required=False,
        choices=DOMAIN_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    field_order = [
        "text",
        "privacy",
        "pinned",
        "domains",
        "share_with_subagents",
        "share_with_companion",
        "retention_days",
        "reauth_required",
        "expires_at",
    ]

    @staticmethod
    def initial_for(memory) -> dict:
        return {
            "text": memory.text,
            "pinned": memory.pinned,
            "domains": memory.domains,
            **PolicyForm.policy_initial(memory.privacy, memory.policy),
        }


class PinForm(forms.Form):
    pinned = forms.BooleanField(required=False)


class PrivacyForm(forms.Form):
    privacy = forms.ChoiceField(choices=Memory.Privacy.choices)


class IdListField(forms.Field):
    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Choose memories from the list.")}

    def to_python(self, value):
        if not value:
            return []
        ids = []
        for item in value:
            if not (isinstance(item, str) and item.isdigit() and 0 < int(item) <= MAX_ID):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(int(item))
        if len(ids) > MAX_BULK_IDS:
            raise ValidationError(f"Choose at most {MAX_BULK_IDS:,} at a time.", code="too_many")
        return ids


class ForgetManyForm(forms.Form):
    ids = IdListField(error_messages={"required": _("Tick the memories you want me to forget.")})
    confirm = forms.BooleanField(required=False)  # set by the confirmation step


class RestoreForm(forms.Form):
    ids = IdListField(error_messages={"required": _("Choose what to restore.")})


class ArchiveImportForm(forms.Form):
    archive = forms.FileField(label=_("Archive (.zip)"))
