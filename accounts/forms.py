from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy

from accounts.erasure import DeletionState, deletion_state_for_login
from accounts.models import TIME_ZONE_CHOICES, User
from macaron.timezones import AVAILABLE_TIME_ZONES, COMMON_TIME_ZONES, zone_label


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=gettext_lazy("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy("That e-mail and password do not match an account."),
    }

    # Set when the login failed because the account is scheduled for deletion (the right
    # password of a deactivated account): the view then offers to cancel the deletion.
    deletion: DeletionState | None = None

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if not getattr(self.request, "axes_locked_out", False):
                self.deletion = deletion_state_for_login(
                    email=self.cleaned_data.get("username") or "",
                    password=self.cleaned_data.get("password") or "",
                )
            raise


class AccountDeleteForm(forms.Form):
    KEEP = "keep"
    REMOVE = "remove"

    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.CharField(
        label=gettext_lazy("Type your e-mail address to confirm"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, published: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        if published:
            self.fields["published"] = forms.ChoiceField(
                label=gettext_lazy("Your published sub-agents"),
                widget=forms.RadioSelect,
                choices=[
                    (
                        self.KEEP,
                        gettext_lazy(
                            "Keep them for the community, anonymised: shown as by a former "
                            "member, their lineage stays"
                        ),
                    ),
                    (
                        self.REMOVE,
                        gettext_lazy(
                            "Remove them: forks keep their place in the lineage, which shows "
                            "an anonymous removed entry"
                        ),
                    ),
                ],
            )

    @property
    def keep_published(self) -> bool:
        return self.cleaned_data.get("published") == self.KEEP


class SignupForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    display_name = forms.CharField(label=gettext_lazy("Your name"), max_length=80, required=False)
    password = forms.CharField(
        label=gettext_lazy("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=gettext_lazy("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    # A short list of common zones, "other" for the full one; by default the browser's zone,
    # which static/js/timezone.js puts in the hidden field (UTC without JavaScript).
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), required=False)
    time_zone_other = forms.ChoiceField(
        label=gettext_lazy("Other time zone"),
        choices=[("", "—"), *TIME_ZONE_CHOICES],
        required=False,
    )
    browser_time_zone = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    BROWSER = ""
    OTHER = "other"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [
            (self.BROWSER, gettext_lazy("My browser's time zone")),
            *((name, zone_label(name)) for name in COMMON_TIME_ZONES),
            (self.OTHER, gettext_lazy("Other…")),
        ]
        # The script names the detected zone in the first choice: "… (%(zone)s)".
        self.fields["time_zone"].widget.attrs["data-detected-label"] = gettext_lazy(
            "My browser's time zone (%(zone)s)"
        )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_confirm"):
            self.add_error("password_confirm", gettext_lazy("The two passwords differ."))
        picked = data.get("time_zone") or self.BROWSER
        if picked == self.OTHER:
            data["zone"] = data.get("time_zone_other") or ""
            if not data["zone"]:
                self.add_error("time_zone_other", gettext_lazy("Choose your time zone."))
        elif picked == self.BROWSER:
            browser = data.get("browser_time_zone") or ""
            data["zone"] = browser if browser in AVAILABLE_TIME_ZONES else "UTC"
        else:
            data["zone"] = picked
        return data


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "time_zone", "preferred_language"]
        labels = {
            "preferred_language": gettext_lazy("Language"),
            "time_zone": gettext_lazy("Time zone"),
        }

    # Not a column: the name is stored encrypted (User.display_name_ct).
    display_name = forms.CharField(
        label=gettext_lazy("Display name"), max_length=80, required=False
    )
    preferred_language = forms.ChoiceField(
        choices=settings.LANGUAGES, label=gettext_lazy("Language")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("display_name", self.instance.display_name)


class CompanionNameForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)  # the service says what is allowed

    def __init__(self, *args, label: str = "", help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = label or gettext_lazy("Name")
        self.fields["name"].help_text = help_text
        self.fields["name"].widget.attrs.update({"autocomplete": "off", "maxlength": 40})


class InterestsForm(forms.Form):
    interests = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=False)

    def __init__(self, *args, choices=(), label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["interests"].choices = choices
        self.fields["interests"].label = label


class ApiTokenForm(forms.Form):
    # max_length: the service says what is allowed (and refuses control characters)
    name = forms.CharField(label=gettext_lazy("Token name"), max_length=80, required=False)


class StepUpForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autofocus": True, "autocomplete": "current-password"}),
    )
