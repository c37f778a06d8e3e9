"""Community pages: thin views that parse a form, call a selector or service and render or
redirect. Who may do what is decided by community.permissions (through the services); a
blueprint the visitor may not see is a 404, an action they may not take a 403 page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.views import add_domain_error
from community import permissions, selectors, services
from community.forms import (
    CollaboratorForm,
    ListingForm,
    PublishForm,
    RatingForm,
    ReportForm,
    ReviseForm,
    SpecEditForm,
    VersionForm,
)
from community.models import Blueprint
from community.ranking import spec_diff_size
from macaron.errors import DomainError, NotFound, PermissionDenied
from macaron.i18n import active_language
from macaron.sealed import sealed_preload
from subagents.builder.diff import goal_text, reminder_text, view_text
from subagents.forms import EntryForm
from subagents.selectors import installation_detail
from subagents.services import spec_revise

TABS = [
    ("trending", gettext_lazy("Trending")),
    ("top", gettext_lazy("Top")),
    ("new", gettext_lazy("New")),
    ("rising", gettext_lazy("Rising")),
]


def _blueprint(request, slug: str) -> Blueprint:
    try:
        return selectors.blueprint_for_viewer(user=request.user, slug=slug)
    except NotFound:
        raise Http404("No such blueprint.") from None


def _refuse(error: DomainError):
    if isinstance(error, NotFound):
        raise Http404(error.message)
    if isinstance(error, PermissionDenied):
        raise DjangoPermissionDenied(error.message)


def _cards(blueprints: list[Blueprint], *, explain: bool = True) -> list[dict]:
    stats = selectors.blueprints_stats(blueprints=blueprints)
    sealed_preload(blueprint.author for blueprint in blueprints)  # their names, one query
    return [
        {
            "blueprint": blueprint,
            "stats": stats[blueprint.id],
            "why": selectors.blueprint_explanation(blueprint=blueprint) if explain else None,
        }
        for blueprint in blueprints
    ]


def community_home(request):
    tab = request.GET.get("tab", "trending")
    if tab not in selectors.SORTS:
        tab = "trending"
    q = request.GET.get("q", "").strip()[:200]
    wish = request.GET.get("wish", "").strip()[:300]
    category = request.GET.get("category", "").strip()[:40]
    tag = request.GET.get("tag", "").strip()[:30]
    if wish:
        found, heading = selectors.blueprints_recommend(sentence=wish), _("For your wish")
    elif q:
        found, heading = selectors.blueprints_search(q=q), _("Search results")
    else:
        found = selectors.blueprints_ranked(sort=tab, category=category, tag=tag, limit=30)
        heading = dict(TABS)[tab]
    for_you = (
        _cards(selectors.blueprints_for_person(user=request.user, limit=4), explain=False)
        if request.user.is_authenticated
        else []
    )
    return render(
        request,
        "community/home.html",
        {
            "tabs": TABS,
            "tab": tab,
            "q": q,
            "wish": wish,
            "category": category,
            "tag": tag,
            "heading": heading,
            "cards": _cards(found),
            "for_you": for_you,
            "facets": selectors.listing_facets(),
        },
    )


def _preview(spec: dict) -> dict:
    """The spec shown read-only: the runtime's entry form (disabled), goals, views, reminders."""
    form = EntryForm(spec)
    for field in form.fields.values():
        field.disabled = True
    return {
        "form": form,
        "goals": [goal_text(goal) for goal in spec.get("goals", [])],
        "views": [view_text(view) for view in spec.get("views", [])],
        "reminders": [reminder_text(reminder) for reminder in spec.get("reminders", [])],
        "reads": services.spec_reads(spec),
    }


def blueprint_page(request, slug: str):
    blueprint = _blueprint(request, slug)
    versions = list(selectors.blueprint_versions(blueprint=blueprint))
    latest = versions[0]
    user = request.user
    mine = selectors.rating_for(user=user, blueprint=blueprint)
    rating_form = RatingForm(
        initial={"value": mine.value if mine else 5, "comment": _comment(mine)} if mine else None
    )
    return render(
        request,
        "community/blueprint.html",
        {
            "blueprint": blueprint,
            "latest": latest,
            "versions": versions,
            "stats": selectors.blueprint_stats(blueprint=blueprint),
            "why": selectors.blueprint_explanation(blueprint=blueprint),
            "preview": _preview(latest.spec),
            "ratings": selectors.ratings_for_blueprint(blueprint=blueprint),
            "my_rating": mine,
            "rating_form": rating_form,
            "report_form": ReportForm(),
            "parent_changes": selectors.blueprint_parent_changes(blueprint=blueprint),
            "can_edit": permissions.can_edit(user, blueprint),
            "is_owner": permissions.is_owner(user, blueprint),
            "is_moderator": permissions.is_moderator(user),
            "installed": user.is_authenticated
            and selectors.imports_for_user(user=user).filter(blueprint=blueprint).exists(),
        },
    )


def _comment(rating) -> str:
    from macaron.vault import cipher_for

    return cipher_for(rating.user_id).decrypt(rating.comment_ct) if rating.comment_ct else ""


def blueprint_tree(request, slug: str):
    blueprint = _blueprint(request, slug)
    return render(
        request,
        "community/tree.html",
        {
            "blueprint": blueprint,
            "lineage": selectors.blueprint_lineage(user=request.user, blueprint=blueprint),
        },
    )


@login_required
@require_POST
def blueprint_import(request, slug: str):
    blueprint = _blueprint(request, slug)
    try:
        record = services.blueprint_import(
            user=request.user,
            blueprint=blueprint,
            allowed_domains=request.POST.getlist("domains"),
        )
    except DomainError as error:
        _refuse(error)
        messages.error(request, error.message)
        return redirect("community-blueprint", slug=slug)
    messages.success(request, _("Installed in your tools."))
    return redirect("tool", installation_id=record.installation_id)


@login_required
@require_POST
def blueprint_fork(request, slug: str):
    blueprint = _blueprint(request, slug)
    try:
        fork = services.blueprint_fork(
            user=request.user,
            blueprint=blueprint,
            confirmed=True,  # the parent's spec was already checked when it was published
        )
    except DomainError as error:
        _refuse(error)
        messages.error(request, error.message)
        return redirect("community-blueprint", slug=slug)
    messages.success(request, _("Forked. Make it yours."))
    return redirect("community-edit", slug=fork.slug)


def _editable(request, slug: str) -> Blueprint:
    blueprint = _blueprint(request, slug)
    if not permissions.can_edit(request.user, blueprint):
        raise DjangoPermissionDenied(_("Only the author and collaborators can edit this."))
    return blueprint


def _next_patch(version: str) -> str:
    major, minor, patch = (int(part) for part in version.split("."))
    return f"{major}.{minor}.{patch + 1}"


@login_required
def blueprint_edit(request, slug: str):
    """Listing + spec editor (raw JSON, or in words through the builder), with the diff to
    the parent. Saving a changed spec publishes the next patch version."""
    blueprint = _editable(request, slug)
    latest = selectors.blueprint_versions(blueprint=blueprint).first()
    listing_form = ListingForm(
        request.POST if request.POST.get("action") == "listing" else None,
        initial=ListingForm.initial_for(blueprint),
        prefix="listing",
    )
    spec_form = SpecEditForm(
        request.POST if request.POST.get("action") == "spec" else None,
        initial={"spec": latest.spec},
        prefix="spec",
    )
    revise_form = ReviseForm(
        request.POST if request.POST.get("action") == "revise" else None, prefix="revise"
    )
    status = 200
    action = request.POST.get("action")
    if action == "listing" and listing_form.is_valid():
        try:
            services.blueprint_listing_update(
                user=request.user, blueprint=blueprint, listing=listing_form.listing()
            )
        except DomainError as error:
            _refuse(error)
            add_domain_error(listing_form, error)
        else:
            messages.success(request, _("Listing saved."))
            return redirect("community-edit", slug=slug)
    elif action == "spec" and spec_form.is_valid():
        if spec_diff_size(latest.spec, spec_form.cleaned_data["spec"]) == 0:
            messages.info(request, _("The spec did not change."))
            return redirect("community-edit", slug=slug)
        try:
            services.blueprint_version_publish(
                user=request.user,
                blueprint=blueprint,
                version=_next_patch(latest.version),
                spec=spec_form.cleaned_data["spec"],
                changelog=spec_form.cleaned_data["changelog"],
                confirmed=spec_form.cleaned_data["confirmed"],
            )
        except DomainError as error:
            _refuse(error)
            add_domain_error(spec_form, error)
        else:
            messages.success(request, _("Saved as a new version."))
            return redirect("community-edit", slug=slug)
    elif action == "revise" and revise_form.is_valid():
        try:
            result = spec_revise(
                spec=latest.spec,
                instruction=revise_form.cleaned_data["instruction"],
                language=active_language(),
            )
        except DomainError as error:
            add_domain_error(revise_form, error)
        else:
            spec_form = SpecEditForm(
                initial={
                    "spec": result.spec,
                    "changelog": revise_form.cleaned_data["instruction"],
                },
                prefix="spec",
            )
            messages.info(request, _("Changed as asked: check the spec below and save it."))
            return render(
                request,
                "community/edit.html",
                _edit_context(blueprint, latest, listing_form, spec_form, revise_form)
                | {"revision": result.changes},
            )
    if request.method == "POST":
        status = 400
    return render(
        request,
        "community/edit.html",
        _edit_context(blueprint, latest, listing_form, spec_form, revise_form),
        status=status,
    )


def _edit_context(blueprint, latest, listing_form, spec_form, revise_form) -> dict:
    return {
        "blueprint": blueprint,
        "latest": latest,
        "listing_form": listing_form,
        "spec_form": spec_form,
        "revise_form": revise_form,
        "parent_changes": selectors.blueprint_parent_changes(blueprint=blueprint),
    }


@login_required
def blueprint_version_new(request, slug: str):
    blueprint = _editable(request, slug)
    latest = selectors.blueprint_versions(blueprint=blueprint).first()
    form = VersionForm(
        request.POST or None, initial={"spec": latest.spec, "version": _next_minor(latest.version)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.blueprint_version_publish(
                user=request.user,
                blueprint=blueprint,
                version=form.cleaned_data["version"],
                spec=form.cleaned_data["spec"],
                changelog=form.cleaned_data["changelog"],
                confirmed=form.cleaned_data["confirmed"],
            )
        except DomainError as error:
            _refuse(error)
            add_domain_error(form, error)
        else:
            messages.success(request, _("New version published."))
            return redirect("community-blueprint", slug=slug)
    return render(
        request,
        "community/version_new.html",
        {"blueprint": blueprint, "latest": latest, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _next_minor(version: str) -> str:
    major, minor, _patch = (int(part) for part in version.split("."))
    return f"{major}.{minor + 1}.0"


@login_required
@require_POST
def blueprint_rate(request, slug: str):
    blueprint = _blueprint(request, slug)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.rating_set(user=request.user, blueprint=blueprint, **form.cleaned_data)
        except DomainError as error:
            _refuse(error)
            messages.error(request, error.message)
        else:
            messages.success(request, _("Thank you for rating."))
    else:
        messages.error(request, _("Pick 1 to 5 stars."))
    return redirect("community-blueprint", slug=slug)


@login_required
@require_POST
def blueprint_report(request, slug: str):
    blueprint = _blueprint(request, slug)
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            services.report_create(user=request.user, blueprint=blueprint, **form.cleaned_data)
        except DomainError as error:
            _refuse(error)
            messages.error(request, error.message)
        else:
            messages.success(request, _("Reported. A moderator will look at it."))
    else:
        messages.error(request, _("Pick a reason."))
    return redirect("community-blueprint", slug=slug)


@login_required
@require_POST
def blueprint_unpublish(request, slug: str):
    blueprint = _blueprint(request, slug)
    try:
        services.blueprint_unpublish(user=request.user, blueprint=blueprint)
    except DomainError as error:
        _refuse(error)
        messages.error(request, error.message)
    else:
        messages.success(request, _("Unpublished. It stays in its lineage as removed."))
    return redirect("community")


@login_required
def blueprint_collaborators(request, slug: str):
    blueprint = _blueprint(request, slug)
    if not permissions.is_owner(request.user, blueprint):
        raise DjangoPermissionDenied(_("Only the author can invite collaborators."))
    form = CollaboratorForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("remove"):
            try:
                services.collaborator_remove(
                    user=request.user,
                    blueprint=blueprint,
                    collaborator_id=int(request.POST["remove"])
                    if request.POST["remove"].isdigit()
                    else 0,
                )
            except NotFound:
                raise Http404("No such collaborator.") from None
            messages.success(request, _("Collaborator removed."))
            return redirect("community-collaborators", slug=slug)
        if form.is_valid():
            try:
                services.collaborator_invite(
                    user=request.user, blueprint=blueprint, email=form.cleaned_data["email"]
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Invited: they can now edit and publish versions."))
                return redirect("community-collaborators", slug=slug)
    return render(
        request,
        "community/collaborators.html",
        {
            "blueprint": blueprint,
            "form": form,
            "collaborators": selectors.collaborators_for(user=request.user, blueprint=blueprint),
        },
        status=400 if request.method == "POST" else 200,
    )


# Publishing from a tool --------------------------------------------------------------------


@login_required
def tool_publish(request, installation_id: int):
    """Share one of the person's tools: listing, then the privacy findings to confirm or edit."""
    try:
        tool = installation_detail(user=request.user, installation_id=installation_id)
    except NotFound:
        raise Http404("No such tool.") from None
    from subagents.selectors import installation_get, installation_spec

    installation = installation_get(user=request.user, installation_id=installation_id)
    spec = installation_spec(installation)
    initial = {
        "title": spec["name"],
        "description": spec.get("description", ""),
        "tags": ", ".join(spec.get("tags") or spec.get("domains") or []),
        "language": spec.get("language", "en")[:2],
        "cover_color": spec.get("color", "#6b7280"),
        "cover_icon": spec.get("icon", "")[:8],
        "visibility": Blueprint.Visibility.PUBLIC,
        "spec": spec,
    }
    form = PublishForm(request.POST or None, initial=initial)
    findings = []
    if request.method == "POST" and form.is_valid():
        try:
            blueprint = services.blueprint_share(
                user=request.user,
                installation=installation,
                spec=form.cleaned_data["spec"],
                listing=form.listing(),
                confirmed=form.cleaned_data["confirmed"],
            )
        except services.PrivacyConfirmationRequired as error:
            findings = error.findings
        except DomainError as error:
            _refuse(error)
            add_domain_error(form, error)
        else:
            messages.success(request, _("Published."))
            return redirect("community-blueprint", slug=blueprint.slug)
    return render(
        request,
        "community/publish.html",
        {"tool": tool, "form": form, "findings": findings},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def tool_upgrade(request, installation_id: int):
    try:
        record = services.import_upgrade(user=request.user, installation_id=installation_id)
    except DomainError as error:
        _refuse(error)
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Upgraded to version %(version)s; your entries were kept.")
            % {"version": record.version.version},
        )
    return redirect("tool", installation_id=installation_id)


@login_required
@require_POST
def tool_rollback(request, installation_id: int):
    try:
        record = services.import_rollback(user=request.user, installation_id=installation_id)
    except DomainError as error:
        _refuse(error)
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Back to version %(version)s.") % {"version": record.version.version}
        )
    return redirect("tool", installation_id=installation_id)


def tool_panel(*, request, installation) -> dict | None:
    """The community panel on a tool's page (registered from CommunityConfig.ready)."""
    state = selectors.tool_community_state(user=request.user, installation=installation)
    return {
        "template": "community/_tool_panel.html",
        "context": {"state": state, "installation": installation},
    }


# Moderation --------------------------------------------------------------------------------


@login_required
def moderation_queue(request):
    if not permissions.is_moderator(request.user):
        raise DjangoPermissionDenied(_("Only moderators can see the queue."))
    if request.method == "POST":
        action = request.POST.get("action", "")
        report_id = request.POST.get("report", "")
        try:
            report = selectors.report_for_moderator(
                moderator=request.user, report_id=int(report_id) if report_id.isdigit() else 0
            )
            services.report_resolve(moderator=request.user, report=report, resolution=action)
        except DomainError as error:
            _refuse(error)
            messages.error(request, error.message)
        else:
            messages.success(request, _("Done."))
        return redirect("community-moderation")
    reports = list(selectors.reports_open(moderator=request.user)[:100])
    return render(
        request,
        "community/moderation.html",
        {"reports": [(report, selectors.report_note(report=report)) for report in reports]},
    )


@login_required
@require_POST
def blueprint_hide(request, slug: str):
    """A moderator hides a listing (or shows it again)."""
    blueprint = _blueprint(request, slug)
    try:
        services.listing_hide(
            moderator=request.user, blueprint=blueprint, hidden=request.POST.get("hidden") != "0"
        )
    except DomainError as error:
        _refuse(error)
    messages.success(request, _("Done."))
    return redirect("community-blueprint", slug=slug)
