import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts.erasure import (
    account_deletion_cancel,
    account_deletion_request,
    deletion_grace,
    deletion_pending,
)
from accounts.forms import (
    AccountDeleteForm,
    ApiTokenForm,
    LoginForm,
    ProfileForm,
    SignupForm,
    StepUpForm,
)
from accounts.hooks import publications_count
from accounts.models import ErasureRequest, User
from accounts.selectors import api_tokens_for_user, demo_user
from accounts.services import (
    api_token_create,
    api_token_revoke,
    profile_language_set,
    profile_update,
    user_password_changed,
    user_sign_out_everywhere,
    user_signup,
)
from accounts.stepup import step_up_session
from macaron.errors import DomainError
from macaron.forms import add_domain_error
from macaron.timezones import zone_activate


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_signup(
                email=data["email"],
                password=data["password"],
                display_name=data["display_name"],
                time_zone=data["zone"],
                # The language the visitor reads the site in (the switcher or the browser).
                preferred_language=request.LANGUAGE_CODE,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            # The same answer whether or not the address was taken (then its owner got an
            # e-mail and `user` is None): a fresh session cookie, a welcome, on to onboarding.
            if user is not None:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            else:  # what login() does to the cookies: a new session key and CSRF token
                request.session.cycle_key()
                request.session["signed_up"] = True
                rotate_token(request)
            name = data["display_name"].strip() or data["email"].strip().lower().split("@")[0]
            messages.success(request, _("Welcome to Macaron, %(name)s!") % {"name": name})
            return redirect("onboarding")
    return render(
        request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200
    )


@require_POST
def demo_login(request):
    """ "Try the demo": log in as the demo person `make run` seeded, where the operator allows
    it (settings.DEMO_LOGIN). A plain POST with a CSRF token, so no page can log a visitor in
    behind their back; a missing demo account says how to create it."""
    if not settings.DEMO_LOGIN:
        raise Http404("There is no demo on this server.")
    user = demo_user()
    if user is None or not user.is_active:
        messages.error(request, _("The demo account is not set up yet: `make run` creates it."))
        return redirect("login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(
        request, _("You are looking around as %(name)s, the demo person.") % {"name": user.name}
    )
    return redirect("home")


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            profile_update(user=request.user, **{k: form.cleaned_data[k] for k in form.fields})
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("profile")
    return render(
        request, "accounts/profile.html", {"form": form}, status=400 if form.errors else 200
    )


@require_POST
def language_set(request):
    """The header's language switcher: Django's set_language (the cookie that a visitor's
    pages follow, and the redirect back) that also keeps a signed-in person's choice on their
    profile, since their pages follow the profile."""
    response = set_language(request)
    if request.user.is_authenticated:
        profile_language_set(user=request.user, language=request.POST.get("language", ""))
    return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view (it keeps this session, under a new key; the others end with the old
    password) that also revokes every API token."""

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            user_password_changed(user=form.user)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view that also revokes every API token once the new password is set."""

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            user_password_changed(user=form.user)
        return response


@never_cache  # the page that shows a new token's secret must not be kept anywhere
@login_required
def tokens(request):
    """The person's API tokens: create one (its secret is shown on this answer only), revoke."""
    form = ApiTokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            form = ApiTokenForm()
    context = {"form": form, "tokens": api_tokens_for_user(user=request.user), "issued": issued}
    status = 400 if form.errors else (201 if issued else 200)
    return render(request, "accounts/tokens.html", context, status=status)


@require_POST
@login_required
def token_revoke(request, token_id: int):
    try:
        api_token_revoke(user=request.user, token_id=token_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Token revoked."))
    return redirect("tokens")


@require_POST
@login_required
def logout_everywhere(request):
    """End every session (this one too) and revoke every API token."""
    user_sign_out_everywhere(user=request.user)
    logout(request)
    messages.success(
        request, _("You are logged out on every device, and your API tokens are revoked.")
    )
    return redirect("login")


# Deleting one's account ----------------------------------------------------------------------

RESTORE_KEY = "deletion_restore"  # session: {"user": id, "at": unix time} after a right password
RESTORE_WINDOW_S = 600


class LoginView(auth_views.LoginView):
    """Django's login; the right password of an account scheduled for deletion leads to the
    page that offers to cancel the deletion."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        if form.deletion is not None:
            self.request.session.cycle_key()
            self.request.session[RESTORE_KEY] = {"user": form.deletion.user.pk, "at": time.time()}
            return redirect("account_restore")
        return super().form_invalid(form)


@never_cache
@login_required
def account_delete(request):
    """Explain what deleting the account does, then do it (password and e-mail to confirm)."""
    published = publications_count(request.user)
    form = AccountDeleteForm(request.POST or None, published=published)
    if request.method == "POST" and form.is_valid():
        try:
            erasure = account_deletion_request(
                user=request.user,
                password=form.cleaned_data["password"],
                confirmation=form.cleaned_data["confirm"],
                keep_published=form.keep_published,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            logout(request)
            erased = erasure.state == ErasureRequest.State.DONE
            return render(request, "accounts/deleted.html", {"erasure": erasure, "erased": erased})
    context = {
        "form": form,
        "published": published,
        "grace_days": deletion_grace().days,
    }
    return render(request, "accounts/delete.html", context, status=400 if form.errors else 200)


def _restore_candidate(request) -> User | None:
    offer = request.session.get(RESTORE_KEY)
    if not isinstance(offer, dict) or time.time() - float(offer.get("at", 0)) > RESTORE_WINDOW_S:
        return None
    return User.objects.filter(pk=offer.get("user"), is_active=False).first()


@never_cache
def account_restore(request):
    """After logging in with the right password during the grace period: keep the account
    (cancel its deletion and log in) or leave it scheduled."""
    user = _restore_candidate(request)
    erasure = deletion_pending(user=user) if user is not None else None
    if user is None or erasure is None or erasure.origin != ErasureRequest.Origin.PERSON:
        request.session.pop(RESTORE_KEY, None)
        messages.error(request, _("Log in again to manage your account."))
        return redirect("login")
    if request.method == "POST":
        account_deletion_cancel(user=user)
        request.session.pop(RESTORE_KEY, None)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome back! Your account will not be deleted."))
        return redirect("home")
    zone_activate(user=user)
    return render(request, "accounts/restore.html", {"erasure": erasure})


def _step_up_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("memories")


@never_cache
@login_required
def step_up(request):
    """Confirm the password to see items that need it, then go back where the person was."""
    form = StepUpForm(request.POST or None)
    target = _step_up_next(request)
    if request.method == "POST" and form.is_valid():
        try:
            step_up_session(request, password=form.cleaned_data["password"])
        except DomainError:
            form.add_error("password", _("That password is not right."))
        else:
            return redirect(target)
    return render(
        request,
        "accounts/step_up.html",
        {"form": form, "next": target, "minutes": settings.STEP_UP_MINUTES},
        status=400 if form.errors else 200,
    )
