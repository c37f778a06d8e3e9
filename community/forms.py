"""Forms of the community pages; they only parse input, the services decide."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import DESCRIPTION_MAX, TITLE_MAX, Blueprint, Report
from community.services import Listing

LANGUAGES = [("en", "English"), ("ja", "日本語"), ("ko", "한국어")]


class ListingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
        max_length=DESCRIPTION_MAX,
    )  # fmt: skip
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separated by commas."), max_length=400
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)
    category = forms.CharField(label=_("Category"), required=False, max_length=40)
    cover_color = forms.CharField(
        label=_("Colour"), widget=forms.TextInput(attrs={"type": "color"}), initial="#6b7280"
    )
    cover_icon = forms.CharField(label=_("Icon"), required=False, max_length=8)
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=[
            (Blueprint.Visibility.PUBLIC, _("Public: listed and searchable")),
            (Blueprint.Visibility.UNLISTED, _("Unlisted: only people with the link")),
            (Blueprint.Visibility.PRIVATE, _("Private: only you")),
        ],
    )

    @staticmethod
    def initial_for(blueprint: Blueprint) -> dict:
        return {
            "title": blueprint.title,
            "description": blueprint.description,
            "tags": ", ".join(blueprint.tags),
            "language": blueprint.language,
            "category": blueprint.category,
            "cover_color": blueprint.cover_color,
            "cover_icon": blueprint.cover_icon,
            "visibility": blueprint.visibility,
        }

    def listing(self) -> Listing:
        data = self.cleaned_data
        return Listing(
            title=data["title"],
            description=data["description"],
            tags=tuple(tag for tag in data["tags"].split(",") if tag.strip()),
            language=data["language"],
            category=data["category"],
            cover_color=data["cover_color"],
            cover_icon=data["cover_icon"],
            visibility=data["visibility"],
        )


class SpecField(forms.CharField):
    """The spec as JSON text; syntax errors here, the spec's own rules in the services."""

    widget = forms.Textarea(attrs={"rows": 18, "class": "mono", "spellcheck": "false"})

    def to_python(self, value):
        text = super().to_python(value)
        try:
            spec = json.loads(text)
        except ValueError as error:
            raise forms.ValidationError(
                _("Not valid JSON: %(error)s"), params={"error": error}
            ) from None
        if not isinstance(spec, dict):
            raise forms.ValidationError(_("The spec is a JSON object."))
        return spec

    def prepare_value(self, value):
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return value


class PublishForm(ListingForm):
    spec = SpecField(label=_("Spec (JSON)"))
    confirmed = forms.BooleanField(
        label=_("I checked the findings above: nothing personal is left, publish it."),
        required=False,
    )


class SpecEditForm(forms.Form):
    spec = SpecField(label=_("Spec (JSON)"))
    changelog = forms.CharField(
        label=_("What changed"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    confirmed = forms.BooleanField(
        label=_("Publish even though it may contain something personal."), required=False
    )


class ReviseForm(forms.Form):
    instruction = forms.CharField(
        label=_("Change it in words"), max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("make this vegetarian")}),
    )  # fmt: skip


class VersionForm(SpecEditForm):
    version = forms.CharField(label=_("Version"), max_length=20, help_text=_("Like 1.2.0."))


class RatingForm(forms.Form):
    value = forms.TypedChoiceField(
        label=_("Your rating"), coerce=int, choices=[(n, "★" * n) for n in range(5, 0, -1)]
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Report.Reason.choices)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CollaboratorForm(forms.Form):
    email = forms.EmailField(label=_("E-mail of their account"))
