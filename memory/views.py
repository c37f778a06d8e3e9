"""The "What I remember" page: see, search, edit, pin and forget what the companion remembers.

Every action is a small POST that calls a service and redirects back (POST-redirect-GET);
someone else's memory id is a plain 404. Forgetting asks first, moves the memories to the
trash, and offers "Undo" on the next page; the trash page restores or erases them for good.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from macaron.errors import DomainError, NotFound
from macaron.forms import add_domain_error
from memory.forms import (
    ForgetManyForm,
    MemoryCreateForm,
    MemoryEditForm,
    MemoryFilterForm,
    PinForm,
    PrivacyForm,
    RestoreForm,
)
from memory.models import Memory
from memory.privacy.readers import person_reader
from memory.selectors import (
    StepUpRequired,
    memories_chosen,
    memories_for_user,
    memories_trashed,
    memory_detail,
    memory_ids_owned,
    memory_reasons,
)
from memory.services import (
    memories_restore,
    memories_trash,
    memories_trash_empty,
    memory_create,
    memory_get,
    memory_update,
    trash_days,
)
from memory.staff.selectors import break_glass_notices

PAGE_SIZE = 20
UNDO_KEY = "memories_undo"  # session: the ids just forgotten, for the "Undo" bar (shown once)


def _back(request) -> str:
    """Where to return after an action: the page (with its filters) the person came from."""
    target = request.POST.get("next") or request.GET.get("next", "")
    if target.startswith("/memories/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("memories")


class _NeedsStepUp(Exception):
    pass


def _detail_or_404(request, memory_id: int):
    """The memory if the person may read it now; a locked one sends them to confirm first."""
    try:
        return memory_detail(user=request.user, memory_id=memory_id, reader=person_reader(request))
    except NotFound:
        raise Http404("No such memory.") from None
    except StepUpRequired:
        raise _NeedsStepUp from None


def _step_up_redirect(request):
    back = request.get_full_path() if request.method == "GET" else _back(request)
    return redirect(f"{reverse('step_up')}?{urlencode({'next': back})}")


def _owned_or_404(user, memory_id: int) -> None:
    try:
        memory_get(user=user, memory_id=memory_id)
    except NotFound:
        raise Http404("No such memory.") from None


@login_required
def memory_list(request):
    filters = MemoryFilterForm(request.GET)
    create_form = MemoryCreateForm(request.POST or None, prefix="new")
    if request.method == "POST" and create_form.is_valid():
        try:
            memory_create(user=request.user, **create_form.cleaned_data)
        except DomainError as error:
            add_domain_error(create_form, error)
        else:
            messages.success(request, _("Got it — I will remember that."))
            return redirect(_back(request))

    memories: list = []
    searching = filters.is_valid() and bool(filters.cleaned_data["q"].strip())
    show_more = request.GET.get("more") == "1"
    hidden = 0  # search results below the relevance floor, behind "show more"
    if filters.is_valid():
        try:
            memories = memories_for_user(
                user=request.user, reader=person_reader(request), **filters.selector_filters()
            )
        except DomainError as error:
            add_domain_error(filters, error)
    if searching:
        relevant = [memory for memory in memories if memory.relevant]
        hidden = len(memories) - len(relevant)
        if not show_more:
            memories = relevant
    page = Paginator(memories, PAGE_SIZE).get_page(request.GET.get("page"))
    reasons = memory_reasons(
        user=request.user, memory_ids=[memory.id for memory in page.object_list]
    )
    context = {
        "reasons": reasons,
        "filters": filters,
        "filtering": filters.is_valid() and any(filters.cleaned_data.values()),
        "searching": searching,
        "show_more": show_more,
        "hidden_count": hidden,
        "create_form": create_form,
        "page": page,
        "privacy_choices": Memory.Privacy.choices,
        "staff_reads": break_glass_notices(user=request.user),
        "undo_ids": request.session.pop(UNDO_KEY, []) if request.method == "GET" else [],
    }
    status = 400 if filters.errors or create_form.errors else 200
    return render(request, "memory/list.html", context, status=status)


@login_required
def memory_edit(request, memory_id: int):
    try:
        memory = _detail_or_404(request, memory_id)
    except _NeedsStepUp:
        return _step_up_redirect(request)
    form = MemoryEditForm(request.POST or None, initial=MemoryEditForm.initial_for(memory))
    if request.method == "POST" and form.is_valid():
        data, changed = form.cleaned_data, set(form.changed_data)
        try:
            memory_update(
                user=request.user,
                memory_id=memory.id,
                text=data["text"] if "text" in changed else None,
                pinned=data["pinned"],
                privacy=data["privacy"],
                policy=form.policy(),
                domains=data["domains"] if "domains" in changed else None,
            )
        except NotFound:
            raise Http404("No such memory.") from None
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Memory updated."))
            return redirect(_back(request))
    return render(
        request,
        "memory/edit.html",
        {"memory": memory, "form": form, "next": _back(request)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def memory_pin(request, memory_id: int):
    form = PinForm(request.POST)
    form.is_valid()  # a missing or odd value simply means "not pinned"
    pinned = bool(form.cleaned_data.get("pinned"))
    try:
        memory_update(user=request.user, memory_id=memory_id, pinned=pinned)
    except NotFound:
        raise Http404("No such memory.") from None
    messages.success(request, _("Pinned — I will not let this fade.") if pinned else _("Unpinned."))
    return redirect(_back(request))


@login_required
@require_POST
def memory_privacy(request, memory_id: int):
    form = PrivacyForm(request.POST)
    try:
        _detail_or_404(request, memory_id)  # lowering a locked item's level needs the step-up
    except _NeedsStepUp:
        return _step_up_redirect(request)
    if not form.is_valid():
        messages.error(request, _("Choose one of the privacy levels."))
        return redirect(_back(request))
    privacy = form.cleaned_data["privacy"]
    memory_update(user=request.user, memory_id=memory_id, privacy=privacy)
    messages.success(
        request, _("Privacy set to %(level)s.") % {"level": Memory.Privacy(privacy).label.lower()}
    )
    return redirect(_back(request))


def _forgotten(request, ids: list[int]) -> None:
    """After moving memories to the trash: say so, and offer "Undo" on the next page."""
    request.session[UNDO_KEY] = ids
    messages.success(
        request,
        ngettext(
            "Moved %(count)d memory to the trash.",
            "Moved %(count)d memories to the trash.",
            len(ids),
        )
        % {"count": len(ids)},
    )


def _confirm_forget(request, memories: list, *, action: str, ids: list[int] | None = None):
    """The confirmation step: what will be forgotten, and for how long it stays restorable."""
    return render(
        request,
        "memory/forget_confirm.html",
        {
            "memories": memories,
            "ids": ids or [memory.id for memory in memories],
            "count": len(ids) if ids else len(memories),
            "action": action,
            "next": _back(request),
            "trash_days": trash_days(),
        },
    )


@login_required
def memory_forget(request, memory_id: int):
    """GET: ask first (what will be forgotten, and for how long it can be restored).
    POST: move it to the trash."""
    if request.method == "GET":
        chosen = memories_chosen(
            user=request.user, memory_ids=[memory_id], reader=person_reader(request)
        )
        if not chosen:
            raise Http404("No such memory.")
        return _confirm_forget(request, chosen, action=reverse("memory_forget", args=[memory_id]))
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    _owned_or_404(request.user, memory_id)
    _forgotten(request, memories_trash(user=request.user, memory_ids=[memory_id]))
    return redirect(_back(request))


@login_required
@require_POST
def memories_forget_many(request):
    """The ticked memories: first a confirmation page (the same ids, posted with `confirm`),
    then they go to the trash."""
    form = ForgetManyForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["ids"][0])
        return redirect(_back(request))
    owned = memory_ids_owned(user=request.user, memory_ids=form.cleaned_data["ids"])
    if not owned:
        messages.error(request, _("Tick the memories you want me to forget."))
        return redirect(_back(request))
    if not form.cleaned_data["confirm"]:
        chosen = memories_chosen(user=request.user, memory_ids=owned, reader=person_reader(request))
        return _confirm_forget(request, chosen, action=reverse("memories_forget"), ids=owned)
    _forgotten(request, memories_trash(user=request.user, memory_ids=owned))
    return redirect(_back(request))


@login_required
def memories_trash_page(request):
    return render(
        request,
        "memory/trash.html",
        {
            "trashed": memories_trashed(user=request.user, reader=person_reader(request)),
            "trash_days": trash_days(),
        },
    )


@login_required
@require_POST
def memories_restore_many(request):
    form = RestoreForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["ids"][0])
        return redirect(_back(request))
    restored = memories_restore(user=request.user, memory_ids=form.cleaned_data["ids"])
    if restored:
        messages.success(
            request,
            ngettext("Restored %(count)d memory.", "Restored %(count)d memories.", len(restored))
            % {"count": len(restored)},
        )
    else:
        messages.error(request, _("Nothing to restore: it is no longer in the trash."))
    return redirect(_back(request))


@login_required
@require_POST
def memories_trash_erase(request):
    """Erase memories in the trash for good now, after a confirmation step."""
    form = ForgetManyForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["ids"][0])
        return redirect("memories_trash")
    owned = memory_ids_owned(user=request.user, memory_ids=form.cleaned_data["ids"], trashed=True)
    if not owned:
        messages.error(request, _("Nothing to erase: it is no longer in the trash."))
        return redirect("memories_trash")
    if not form.cleaned_data["confirm"]:
        return render(
            request,
            "memory/erase_confirm.html",
            {"ids": owned, "count": len(owned)},
        )
    erased = memories_trash_empty(user=request.user, memory_ids=owned)
    messages.success(
        request,
        ngettext("Erased %(count)d memory for good.", "Erased %(count)d memories for good.", erased)
        % {"count": erased},
    )
    return redirect("memories_trash")
