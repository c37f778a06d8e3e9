"""The builder page (/tools/new/): describe a tool in a sentence, see it previewed as the real
tool (the tool page's own templates over no entries), change it in words and see what changed,
then install it. Nothing is saved before Install; the draft travels in the form and is validated
again on every step. Also the one-tap install of a catalogue blueprint the companion offered.
"""

import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.views import add_domain_error
from macaron.errors import DomainError, NotFound
from macaron.i18n import active_language
from macaron.timezones import user_zone
from subagents.builder.diff import reminder_text
from subagents.chat import tool_chat_send
from subagents.forms import BuildForm, DraftForm, EntryForm
from subagents.selectors import (
    installation_for_token,
    routed_request_text,
    spec_localised,
    spec_views_data,
)
from subagents.services import catalogue_install, installation_create, spec_build, spec_revise
from subagents.views import _decorate


def _prefill(request) -> str:
    routed = request.GET.get("routed", "")
    if routed.isdigit():
        try:
            return routed_request_text(user=request.user, routed_id=int(routed))
        except NotFound:
            return ""
    return request.GET.get("request", "")[:1000]


def _preview(request, spec: dict) -> dict:
    """What the tool page would draw for this spec with no entries yet."""
    shown = spec_localised(spec, spec.get("language"))
    today = timezone.now().astimezone(user_zone(request.user)).date()
    views = spec_views_data(
        spec=shown,
        goals=[dict(goal, index=index) for index, goal in enumerate(shown["goals"])],
        entries=[],
        today=today,
        installed=today,
    )
    form = EntryForm(shown)
    for field in form.fields.values():
        field.disabled = True
    return {
        "spec": shown,
        "views": _decorate(views),
        "views_json": {"views": views, "preview": True},
        "entry_form": form,
        "reminders": [reminder_text(reminder) for reminder in shown["reminders"]],
    }


def _draft_form(spec: dict, source: str, client_token: str = "") -> DraftForm:
    return DraftForm(
        initial={
            "spec": json.dumps(spec, ensure_ascii=False),
            "source": source,
            "client_token": client_token or uuid.uuid4().hex,
        }
    )


@login_required
def tool_new(request):
    """GET: the description box (pre-filled from a routed request). POST: build, change or
    install, by the `action` the button sends."""
    context: dict = {"build_form": BuildForm(initial={"request": _prefill(request)})}
    status = 200
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "build":
        build_form = BuildForm(request.POST)
        context["build_form"] = build_form
        if build_form.is_valid():
            try:
                built = spec_build(request=build_form.cleaned_data["request"], user=request.user)
            except DomainError as error:
                add_domain_error(build_form, error)
                status = 400
            else:
                context.update(_preview(request, built.spec))
                context["draft"] = _draft_form(built.spec, built.source)
                context["personalised"] = built.personalised
        else:
            status = 400
    elif action in {"revise", "install"}:
        draft = DraftForm(request.POST)
        if not draft.is_valid():
            context["draft_errors"] = [e for errors in draft.errors.values() for e in errors]
            return render(request, "subagents/new.html", context, status=400)
        spec, source = draft.cleaned_data["spec"], draft.cleaned_data["source"]
        token = draft.cleaned_data["client_token"]
        if action == "install":
            try:
                installation = installation_create(
                    user=request.user, spec=spec, source=source, client_token=token
                )
            except DomainError as error:
                context["draft_errors"] = [error.message]
                return render(request, "subagents/new.html", context, status=400)
            messages.success(request, _("Installed."))
            return redirect("tool", installation_id=installation.id)
        instruction = draft.cleaned_data["instruction"]
        try:
            revised = spec_revise(
                spec=spec,
                instruction=instruction,
                language=spec.get("language"),
                user=request.user,
            )
        except DomainError as error:
            try:
                context.update(_preview(request, spec))
            except (KeyError, TypeError, ValueError):
                context["draft_errors"] = [error.message]
                return render(request, "subagents/new.html", context, status=400)
            draft = _draft_form(spec, source, token)
            draft.instruction_error = error.message
            context["draft"] = draft
            context["revise_error"] = error.message
            status = 400
        else:
            context.update(_preview(request, revised.spec))
            context["draft"] = _draft_form(revised.spec, source, token)
            context["changes"] = revised.changes
            context["instruction"] = instruction
    return render(request, "subagents/new.html", context, status=status)


@login_required
@require_POST
def tool_catalogue_install(request, slug: str):
    """One tap from the companion's offer: install the blueprint in the person's language and
    log the request that asked for it (`?routed=<id>`)."""
    routed = request.GET.get("routed", "")
    token = f"offer-{slug}-{routed}" if routed.isdigit() else ""
    repeated = bool(token) and installation_for_token(user=request.user, client_token=token)
    try:
        installation = catalogue_install(
            user=request.user, slug=slug, language=active_language(), client_token=token
        )
    except NotFound:
        raise Http404("No such blueprint.") from None
    if routed.isdigit() and not repeated:  # a double tap installs and logs once
        try:
            words = routed_request_text(user=request.user, routed_id=int(routed))
            sent = tool_chat_send(user=request.user, installation_id=installation.id, text=words)
        except DomainError:
            pass
        else:
            messages.success(request, sent.reply.text)
    messages.success(request, _("Installed."))
    return redirect("tool", installation_id=installation.id)
