"""The onboarding pages under /welcome/: ten questions, the companion card, interests, the gift.

Plain forms, POST-redirect-GET, no JavaScript. Strings come from `accounts.onboarding.UI` in
the person's preferred language.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from accounts import onboarding as quiz
from accounts.forms import CompanionNameForm, InterestsForm
from accounts.selectors import interest_choices, onboarding_state, question_view
from accounts.services import (
    companion_rename,
    onboarding_answer,
    onboarding_choose_interests,
    onboarding_complete,
    onboarding_skip,
)
from macaron.errors import DomainError
from macaron.forms import add_domain_error


def chat_url() -> str:
    """The chat page's address, or "" while there is no page named "chat"."""
    try:
        return reverse("chat")
    except NoReverseMatch:
        return ""


def after_onboarding_url(first_conversation_id: int | None = None) -> str:
    """Inside the conversation the companion opened, else the chat page, else home."""
    if first_conversation_id is not None:
        try:
            return reverse("chat-conversation", kwargs={"conversation_id": first_conversation_id})
        except NoReverseMatch:
            pass
    return chat_url() or reverse("home")


def _render(request, template: str, state, context: dict, *, status: int = 200, **values):
    name = state.companion.name if state.companion else ""
    context = {
        "state": state,
        "t": quiz.ui_strings(state.language, name=name, total=state.total, **values),
        **context,
    }
    return render(request, template, context, status=status)


@login_required
def start(request):
    state = onboarding_state(user=request.user)
    if state.completed:
        return redirect("home")
    if state.next_question:
        return redirect("onboarding_question", number=state.next_question.number)
    if not state.interests:
        return redirect("onboarding_companion")
    return redirect("onboarding_gift")


@login_required
def question(request, number: int):
    state = onboarding_state(user=request.user)
    if state.completed:
        return redirect("home")
    view = question_view(number, answers=state.answers, language=state.language)
    if view is None:
        raise Http404("No such question.")
    error = ""
    if request.method == "POST":
        try:
            onboarding_answer(
                user=request.user, question_id=view.id, option_id=request.POST.get("option", "")
            )
        except DomainError as refusal:
            error = refusal.message
        else:
            upcoming = onboarding_state(user=request.user).next_question
            if upcoming is None:
                return redirect("onboarding_companion")
            return redirect("onboarding_question", number=upcoming.number)
    return _render(
        request,
        "onboarding/question.html",
        state,
        {"question": view, "error": error, "percent": round(100 * number / state.total)},
        status=400 if error else 200,
        n=number,
    )


@login_required
def companion(request):
    state = onboarding_state(user=request.user)
    if state.completed:
        return redirect("home")
    if state.companion is None:
        return redirect("onboarding")
    language = state.language
    strings = quiz.ui_text(language)
    form = CompanionNameForm(
        request.POST if request.method == "POST" else None,
        initial={"name": state.companion.name},
        label=strings["name_label"],
        help_text=strings["name_help"],
    )
    if request.method == "POST" and form.is_valid():
        try:
            companion_rename(user=request.user, name=form.cleaned_data["name"])
        except DomainError as refusal:
            add_domain_error(form, refusal)
        else:
            if request.POST.get("stay"):
                return redirect("onboarding_companion")
            return redirect("onboarding_interests")
    return _render(
        request,
        "onboarding/companion.html",
        state,
        {"form": form, "companion": state.companion},
        status=400 if form.errors else 200,
    )


@login_required
def interests(request):
    state = onboarding_state(user=request.user)
    if state.completed:
        return redirect("home")
    if state.companion is None:
        return redirect("onboarding")
    choices = interest_choices(state.language)
    form = InterestsForm(
        request.POST if request.method == "POST" else None,
        initial={"interests": state.interests},
        choices=[(c.slug, f"{c.emoji} {c.label}") for c in choices],
        label=quiz.ui_text(state.language)["interests_title"],
    )
    if request.method == "POST" and form.is_valid():
        try:
            onboarding_choose_interests(user=request.user, interests=form.cleaned_data["interests"])
        except DomainError as refusal:
            add_domain_error(form, refusal)
        else:
            return redirect("onboarding_gift")
    return _render(
        request,
        "onboarding/interests.html",
        state,
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
def gift(request):
    state = onboarding_state(user=request.user)
    if state.completed:
        return redirect("home")
    if state.companion is None or not state.interests:
        return redirect("onboarding")
    return _render(request, "onboarding/gift.html", state, {"companion": state.companion})


@login_required
@require_POST
def complete(request):
    try:
        onboarding_complete(user=request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect("onboarding")
    state = onboarding_state(user=request.user)
    if state.companion:
        messages.success(
            request, quiz.ui_strings(state.language, name=state.companion.name)["welcome_done"]
        )
    return redirect(after_onboarding_url(state.first_conversation_id))


@login_required
@require_POST
def skip(request):
    onboarding_skip(user=request.user)
    return redirect("home")
