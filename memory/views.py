"""The "What I remember" page: see, search, edit, pin and forget what the companion remembers.

Every action is a small POST that calls a service and redirects back (POST-redirect-GET);
someone else's memory id is a plain 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
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
)
from memory.models import Memory
from memory.privacy.readers import person_reader
from memory.selectors import StepUpRequired, memories_for_user, memory_detail, memory_ids_owned
from memory.services import memories_forget, memory_create, memory_get, memory_update
from memory.staff.selectors import break_glass_notices

PAGE_SIZE = 20


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
    if filters.is_valid():
        try:
            memories = memories_for_user(
                user=request.user, reader=person_reader(request), **filters.selector_filters()
            )
        except DomainError as error:
            add_domain_error(filters, error)
    page = Paginator(memories, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "filtering": filters.is_valid() and any(filters.cleaned_data.values()),
        "create_form": create_form,
        "page": page,
        "privacy_choices": Memory.Privacy.choices,
        "staff_reads": break_glass_notices(user=request.user),
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


@login_required
@require_POST
def memory_forget(request, memory_id: int):
    _owned_or_404(request.user, memory_id)
    memories_forget(user=request.user, memory_ids=[memory_id])
    messages.success(request, _("Forgotten."))
    return redirect(_back(request))


@login_required
@require_POST
def memories_forget_many(request):
    form = ForgetManyForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["ids"][0])
        return redirect(_back(request))
    owned = memory_ids_owned(user=request.user, memory_ids=form.cleaned_data["ids"])
    if owned:
        memories_forget(user=request.user, memory_ids=owned)
    messages.success(
        request,
        ngettext("Forgot %(count)d memory.", "Forgot %(count)d memories.", len(owned))
        % {"count": len(owned)},
    )
    return redirect(_back(request))
