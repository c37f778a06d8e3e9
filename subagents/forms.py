"""Forms of the tool pages. The entry form is generated from the spec, one widget per field
type; it only collects what the person typed — `subagents.values` checks every value, so the
API and the page give the same messages."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from subagents.photos import MAX_PHOTO_BYTES, MIME_TYPES

RATINGS = [(str(n), "★" * n) for n in range(1, 6)]
PERIODS = {"day": _("day"), "week": _("week"), "month": _("month"), "year": _("year")}


def _widget_attrs(field: dict) -> dict:
    attrs = {"step": "1" if field["type"] in {"integer", "rating"} else "any"}
    for bound in ("min", "max"):
        if field.get(bound) is not None:
            attrs[bound] = field[bound]
    if field["type"] == "duration":
        attrs.setdefault("min", 0)
    return attrs


def _form_field(field: dict) -> forms.Field:
    kind, label = field["type"], field["label"]
    unit = field.get("unit") or ("min" if kind == "duration" else "")
    if unit and kind in {"number", "integer", "duration"}:
        label = f"{label} ({unit})"
    common = {"label": label, "required": False, "help_text": field.get("help", "")}
    if kind in {"number", "integer", "duration"}:
        return forms.CharField(widget=forms.NumberInput(attrs=_widget_attrs(field)), **common)
    if kind == "rating":
        return forms.ChoiceField(choices=RATINGS, widget=forms.RadioSelect, **common)
    if kind == "boolean":
        return forms.BooleanField(**common)
    labels = field.get("choice_labels") or field.get("choices") or []
    choices = list(zip(field.get("choices", []), labels, strict=False))
    if kind == "choice":
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if kind == "multichoice":
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == "date":
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == "time":
        return forms.CharField(widget=forms.TimeInput(attrs={"type": "time"}), **common)
    if kind == "datetime":
        return forms.CharField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **common
        )
    if kind == "photo":
        # The types subagents.photos keeps (a phone converts a HEIC photo to JPEG for these).
        accept = ",".join(MIME_TYPES.values())
        return forms.FileField(widget=forms.FileInput(attrs={"accept": accept}), **common)
    if kind == "text":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), **common)
    return forms.CharField(**common)


class EntryForm(forms.Form):
    """Built from the (localised) spec: `EntryForm(spec, data, files, initial=...)`."""

    occurred_at = forms.CharField(
        label=_("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty for now."),
    )
    client_token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def __init__(self, spec: dict, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        for field in spec["fields"]:
            self.fields[field["key"]] = _form_field(field)
            if "default" in field and not self.is_bound and field["key"] not in self.initial:
                self.initial[field["key"]] = field["default"]
        if not self.is_bound and "client_token" not in self.initial:
            self.initial["client_token"] = uuid.uuid4().hex
        # The time of the entry last, after its fields.
        self.order_fields([field["key"] for field in spec["fields"]] + ["occurred_at"])

    def clean(self):
        cleaned = super().clean()
        for field in self.spec["fields"]:
            upload = cleaned.get(field["key"]) if field["type"] == "photo" else None
            if upload is not None and upload.size > MAX_PHOTO_BYTES:
                self.add_error(field["key"], _("The photo is larger than 1 MB."))
        return cleaned

    def values(self, keep: dict | None = None) -> dict:
        """What the person typed, keyed by field (a photo not re-uploaded is kept from `keep`)."""
        values = {}
        for field in self.spec["fields"]:
            value = self.cleaned_data.get(field["key"])
            if field["type"] == "photo":
                if value:
                    value = value.read()
                elif keep and field["key"] in keep:
                    value = keep[field["key"]]
                else:
                    continue
            if value not in (None, "", []) or field["type"] == "boolean":
                values[field["key"]] = value
        return values


class InstallForm(forms.Form):
    spec = forms.CharField(
        label=_("Spec (JSON)"), widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"})
    )
    client_token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["client_token"] = uuid.uuid4().hex


class SettingsForm(forms.Form):
    """Goal targets and reminder times of one installation, plus pause."""

    paused = forms.BooleanField(label=_("Pause reminders"), required=False)

    def __init__(self, spec: dict, goals: list[dict], reminders: list[dict], *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {field["key"]: field["label"] for field in spec["fields"]}
        for goal in goals:
            name = f"goal_{goal['index']}"
            self.fields[name] = forms.FloatField(
                label=_("Goal: %(label)s per %(period)s")
                % {
                    "label": labels.get(goal["field"], goal["field"]),
                    "period": PERIODS.get(goal["period"], goal["period"]),
                },
                min_value=0.000001,
                required=True,
            )
            self.initial.setdefault(name, goal["target"])
        for reminder in reminders:
            name = f"reminder_{reminder['index']}"
            self.fields[name] = forms.CharField(
                label=_("Reminder times: %(message)s") % {"message": reminder["message"]},
                help_text=_("HH:MM, separated by commas"),
                max_length=200,
            )
            self.initial.setdefault(name, ", ".join(reminder["schedule"]["times"]))

    def goals(self) -> dict:
        return {
            name.removeprefix("goal_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("goal_")
        }

    def reminders(self) -> dict:
        return {
            name.removeprefix("reminder_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("reminder_")
        }


class BuildForm(forms.Form):
    """The builder page's first step: one sentence or two."""

    request = forms.CharField(
        label=_("Describe the tool you want"),
        max_length=1000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("e.g. track my water, 8 glasses a day")}
        ),
    )


class DraftForm(forms.Form):
    """A previewed spec carried between the builder's steps (checked again on every step:
    nothing is saved before Install), the change asked for, and the install's token."""

    spec = forms.CharField(widget=forms.HiddenInput)
    source = forms.CharField(widget=forms.HiddenInput, max_length=120)
    client_token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)
    instruction = forms.CharField(
        label=_("Change it"),
        required=False,
        max_length=500,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. use ml, add a reminder at 8pm, make it vegetarian")}
        ),
    )

    def clean_spec(self) -> dict:
        import json

        try:
            spec = json.loads(self.cleaned_data["spec"])
        except ValueError:
            raise forms.ValidationError(
                _("The preview could not be read; build it again.")
            ) from None
        if not isinstance(spec, dict):
            raise forms.ValidationError(_("The preview could not be read; build it again."))
        return spec
