"""Tool pages: "My tools", a tool's page (form generated from the spec, charts, goal rings,
streak, heat-map, log, context from memory, settings), entry edit/delete, install, uninstall.

Every action is a POST that calls a service and redirects back; someone else's id is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.views import add_domain_error
from macaron.errors import DomainError, NotFound
from macaron.i18n import active_language
from memory.forms import PolicyForm
from memory.privacy.policies import StepUpRequired
from memory.privacy.readers import person_reader
from subagents.chat import tool_chat_history, tool_chat_send, tool_chat_undo
from subagents.forms import EntryForm, InstallForm, SettingsForm
from subagents.panels import tool_panels_for
from subagents.reminders import reminder_dismiss
from subagents.selectors import (
    entries_for_installation,
    entry_detail,
    entry_get,
    goals_effective,
    installation_detail,
    installation_get,
    installation_spec,
    installation_views_data,
    installations_for_user,
    quick_log_field,
    reminder_notifications_for,
    reminders_effective,
    spec_localised,
)
from subagents.services import (
    entry_create,
    entry_delete,
    entry_policy_update,
    entry_update,
    installation_create,
    installation_entries_delete,
    installation_settings_update,
    installation_uninstall,
    tool_opened,
)
from subagents.transfer import subagent_context

RING_CIRCUMFERENCE = 263.89  # 2πr for r = 42 in the ring's SVG


def _period_names() -> dict[str, str]:
    return {
        "day": _("today"),
        "week": _("this week"),
        "month": _("this month"),
        "year": _("this year"),
    }


def _decorate(views: list[dict]) -> list[dict]:
    """Add what the template draws: ring offsets and period names in the person's language."""
    names = _period_names()
    for view in views:
        data = view["data"]
        if "period" in data:
            data["period_name"] = names.get(data["period"], data["period"])
        for goal in data.get("goals", []):
            goal["offset"] = round(RING_CIRCUMFERENCE * (1 - goal["ratio"]), 2)
            goal["period_name"] = names.get(goal["period"], goal["period"])
    return views


def _owned(user, installation_id: int):
    try:
        return installation_detail(
            user=user, installation_id=installation_id, language=active_language()
        )
    except NotFound:
        raise Http404("No such tool.") from None


@login_required
def tool_list(request):
    tools = installations_for_user(
        user=request.user, include_uninstalled=True, language=active_language()
    )
    return render(
        request,
        "subagents/list.html",
        {
            "reminders": reminder_notifications_for(user=request.user, language=active_language()),
            "tools": [tool for tool in tools if not tool.uninstalled],
            "uninstalled": [tool for tool in tools if tool.uninstalled],
        },
    )


@login_required
def tool_install(request):
    form = InstallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            installation = installation_create(
                user=request.user,
                spec=form.cleaned_data["spec"],
                source="builder",
                client_token=form.cleaned_data["client_token"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Installed."))
            return redirect("tool", installation_id=installation.id)
    return render(request, "subagents/install.html", {"form": form})


def _tool_context(request, tool, form) -> dict:
    installation = installation_get(user=request.user, installation_id=tool.id)
    reader = person_reader(request)
    views = installation_views_data(
        user=request.user, installation_id=tool.id, language=active_language(), reader=reader
    )
    page = entries_for_installation(
        user=request.user,
        installation_id=tool.id,
        page=int(request.GET.get("page", "1")) if request.GET.get("page", "1").isdigit() else 1,
        language=active_language(),
        reader=reader,
    )
    spec = tool.spec
    try:
        context_memories = subagent_context(
            user=request.user, spec=spec, installation_id=installation.id
        )
    except DomainError:
        context_memories = []
    settings_form = SettingsForm(
        spec,
        goals_effective(installation, spec),
        reminders_effective(installation, spec),
        initial={"paused": installation.paused},
    )
    return {
        "tool": tool,
        "spec": spec,
        "form": form,
        "views": _decorate(views["views"]),
        "views_json": views,
        "entries": page,
        "context_memories": context_memories,
        "settings_form": settings_form,
        "chat": tool_chat_history(user=request.user, installation_id=tool.id, reader=reader),
        "panels": tool_panels_for(request=request, installation=installation),
    }


@login_required
def tool_page(request, installation_id: int):
    tool = _owned(request.user, installation_id)
    if tool.uninstalled:
        return render(request, "subagents/uninstalled.html", {"tool": tool})
    form = EntryForm(tool.spec, request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                entry_create(
                    user=request.user,
                    installation_id=installation_id,
                    values=form.values(),
                    occurred_at=form.cleaned_data["occurred_at"] or None,
                    client_token=form.cleaned_data["client_token"],
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Logged."))
                return redirect("tool", installation_id=installation_id)
    else:
        tool_opened(user=request.user, installation_id=installation_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "subagents/tool.html", _tool_context(request, tool, form), status=status)


def _step_up_redirect(request):
    return redirect(f"{reverse('step_up')}?{urlencode({'next': request.get_full_path()})}")


def _entry_for_page(request, entry_id: int):
    """The person's entry and its readable view; 404 when it is not theirs (StepUpRequired
    when it is locked)."""
    try:
        entry = entry_get(user=request.user, entry_id=entry_id)
        item = entry_detail(
            user=request.user,
            entry_id=entry_id,
            language=active_language(),
            reader=person_reader(request),
        )
    except NotFound:
        raise Http404("No such entry.") from None
    return entry, item


@login_required
def entry_edit(request, entry_id: int):
    try:
        entry, item = _entry_for_page(request, entry_id)
    except StepUpRequired:
        return _step_up_redirect(request)
    spec = spec_localised(installation_spec(entry.installation), active_language())
    initial = dict(item.values)
    for field in spec["fields"]:
        if field["type"] == "datetime" and field["key"] in initial:
            initial[field["key"]] = initial[field["key"]][:16]  # what datetime-local shows
    initial["occurred_at"] = item.occurred_at.strftime("%Y-%m-%dT%H:%M")
    form = EntryForm(spec, request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            entry_update(
                user=request.user,
                entry_id=entry_id,
                values=form.values(keep=item.values),
                occurred_at=form.cleaned_data["occurred_at"] or None,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Entry updated."))
            return redirect("tool", installation_id=entry.installation_id)
    return render(
        request,
        "subagents/entry_edit.html",
        {"form": form, "entry": item, "spec": spec, "installation_id": entry.installation_id},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def entry_privacy(request, entry_id: int):
    """An entry's privacy level and rules; a locked entry needs the step-up first, even to
    lower its protection."""
    try:
        entry, item = _entry_for_page(request, entry_id)
    except StepUpRequired:
        return _step_up_redirect(request)
    form = PolicyForm(
        request.POST or None, initial=PolicyForm.policy_initial(item.privacy, item.policy)
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry_policy_update(
                user=request.user,
                entry_id=entry_id,
                privacy=form.cleaned_data["privacy"],
                policy=form.policy(),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Privacy saved."))
            return redirect("tool", installation_id=entry.installation_id)
    spec = spec_localised(installation_spec(entry.installation), active_language())
    return render(
        request,
        "subagents/entry_privacy.html",
        {"form": form, "entry": item, "spec": spec, "installation_id": entry.installation_id},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def entry_remove(request, entry_id: int):
    try:
        entry = entry_get(user=request.user, entry_id=entry_id)
        entry_delete(user=request.user, entry_id=entry_id)
    except NotFound:
        raise Http404("No such entry.") from None
    messages.success(request, _("Entry deleted."))
    return redirect("tool", installation_id=entry.installation_id)


@login_required
@require_POST
def tool_settings(request, installation_id: int):
    tool = _owned(request.user, installation_id)
    installation = installation_get(user=request.user, installation_id=installation_id)
    form = SettingsForm(
        tool.spec,
        goals_effective(installation, tool.spec),
        reminders_effective(installation, tool.spec),
        request.POST,
    )
    if form.is_valid():
        try:
            installation_settings_update(
                user=request.user,
                installation_id=installation_id,
                goals=form.goals(),
                reminders=form.reminders(),
                paused=form.cleaned_data["paused"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Settings saved."))
    else:
        first = next(iter(form.errors.values()))[0]
        messages.error(request, first)
    return redirect("tool", installation_id=installation_id)


@login_required
@require_POST
def tool_uninstall(request, installation_id: int):
    _owned(request.user, installation_id)
    installation_uninstall(user=request.user, installation_id=installation_id)
    messages.success(request, _("Uninstalled. Its entries are kept until you delete them."))
    return redirect("tools")


@login_required
@require_POST
def tool_entries_delete(request, installation_id: int):
    _owned(request.user, installation_id)
    try:
        count = installation_entries_delete(user=request.user, installation_id=installation_id)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("tool", installation_id=installation_id)
    messages.success(request, _("Deleted %(count)s entries.") % {"count": count})
    return redirect("tools")


@login_required
@require_POST
def tool_quick_log(request, installation_id: int):
    """One tap from the home page: log the tool's main numeric field with its default."""
    tool = _owned(request.user, installation_id)
    quick = quick_log_field(tool.spec)
    if quick is None or tool.uninstalled:
        raise Http404("Nothing to log with one tap.")
    try:
        entry_create(
            user=request.user,
            installation_id=installation_id,
            values={quick["key"]: quick["value"]},
            client_token=request.POST.get("client_token", "")[:64],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        unit = f" {quick['unit']}" if quick["unit"] else ""
        messages.success(
            request, _("Logged %(what)s.") % {"what": f"{tool.name}: {quick['value']}{unit}"}
        )
    return redirect("home")


@login_required
@require_POST
def tool_reminder_dismiss(request, fire_id: int):
    """Dismiss a tool's reminder; "Log now" (acted) opens the tool."""
    acted = request.POST.get("acted") == "1"
    try:
        fire = reminder_dismiss(user=request.user, fire_id=fire_id, acted=acted)
    except NotFound:
        raise Http404("No such reminder.") from None
    if acted:
        return redirect("tool", installation_id=fire.installation_id)
    messages.success(request, _("Dismissed."))
    return redirect("tools")


@login_required
@require_POST
def tool_chat(request, installation_id: int):
    _owned(request.user, installation_id)
    try:
        tool_chat_send(
            user=request.user, installation_id=installation_id, text=request.POST.get("text", "")
        )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(f"{reverse('tool', args=[installation_id])}#chat")


@login_required
@require_POST
def tool_chat_undo_view(request, message_id: int):
    try:
        line = tool_chat_undo(user=request.user, message_id=message_id)
    except NotFound:
        raise Http404("No such message.") from None
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("tools")
    messages.success(request, line.text)
    back = request.POST.get("next", "")  # the companion's chat, when undone from there
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect(f"{reverse('tool', args=[line.installation_id])}#chat")
