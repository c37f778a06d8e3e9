from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.forms import ProfileForm, SignupForm
from accounts.services import profile_update, user_signup
from macaron.errors import DomainError
from macaron.forms import add_domain_error


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
                time_zone=data["time_zone"] or "UTC",
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Macaron, %(name)s!") % {"name": user.name})
            return redirect("onboarding")
    return render(
        request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200
    )


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
