"""The staff console (/staff/): staff only (anyone else signed in gets a 404), every page
audited with the purpose "staff console". Views validate and call memory.staff's services."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from macaron.errors import DomainError
from macaron.forms import add_domain_error
from memory.staff import selectors, services
from memory.staff.forms import (
    AuditSearchForm,
    BreakGlassForm,
    ErasureForm,
    PeopleSearchForm,
    PolicyActivateForm,
    ReasonForm,
    ReportForm,
)
from memory.staff.report_csv import compliance_csv

AUDIT_PAGE_SIZE = 50


def staff_required(view: Callable) -> Callable:
    """Signed in and staff; a signed-in person who is not staff finds nothing here (404)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_staff and request.user.is_active):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapped


def _person_or_404(person_id: int) -> selectors.PersonRow:
    row = selectors.person_for_staff(person_id=person_id)
    if row is None:
        raise Http404("No such person.")
    return row


@staff_required
def people(request):
    form = PeopleSearchForm(request.GET)
    rows = selectors.people_search(query=form.cleaned_data["q"]) if form.is_valid() else []
    services.staff_view_record(
        staff=request.user, page="people", detail={"people": [row.id for row in rows]}
    )
    return render(request, "staff/people.html", {"form": form, "rows": rows})


def _person_page(request, row, *, export_form=None, erasure_form=None, read_form=None, read=None):
    return render(
        request,
        "staff/person.html",
        {
            "row": row,
            "export_form": export_form or ReasonForm(prefix="export"),
            "erasure_form": erasure_form or ErasureForm(prefix="erasure"),
            "read_form": read_form or BreakGlassForm(prefix="read"),
            "read": read,
        },
        status=400 if any(f is not None and f.errors for f in (export_form, erasure_form)) else 200,
    )


@staff_required
def person(request, person_id: int):
    row = _person_or_404(person_id)
    services.staff_view_record(staff=request.user, page="person", subject_user_id=row.id)
    return _person_page(request, row)


@staff_required
@require_POST
def person_export(request, person_id: int):
    row = _person_or_404(person_id)
    form = ReasonForm(request.POST, prefix="export")
    if form.is_valid():
        try:
            services.staff_export_request(
                staff=request.user, person_id=row.id, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Export started. Its download link appears here."))
            return redirect("staff-person", person_id=row.id)
    return _person_page(request, row, export_form=form)


@staff_required
@require_http_methods(["GET"])
def export_download(request, person_id: int, job_id):
    """Hand the staff member a fresh single-use link to the archive they asked for."""
    try:
        token = services.staff_export_link(staff=request.user, person_id=person_id, job_id=job_id)
    except DomainError as error:
        if error.status_code == 404:
            raise Http404(error.message) from None
        messages.error(request, error.message)
        return redirect("staff-person", person_id=person_id)
    services.staff_view_record(
        staff=request.user,
        page="export download",
        subject_user_id=person_id,
        detail={"job": str(job_id)},
    )
    path = reverse("v1:me-export-download", kwargs={"job_id": job_id})
    response = redirect(f"{path}?token={token}")
    response["Cache-Control"] = "no-store"
    return response


@staff_required
@require_POST
def person_erasure(request, person_id: int):
    row = _person_or_404(person_id)
    form = ErasureForm(request.POST, prefix="erasure")
    if form.is_valid():
        try:
            services.staff_erasure_request(
                staff=request.user,
                person_id=row.id,
                reason=form.cleaned_data["reason"],
                keep_published=form.cleaned_data["keep_published"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, _("Erasure request filed; execute it from the erasure requests.")
            )
            return redirect("staff-person", person_id=row.id)
    return _person_page(request, row, erasure_form=form)


@staff_required
@require_POST
def person_read(request, person_id: int):
    """Break-glass: one item's content, shown once on this response, never stored."""
    row = _person_or_404(person_id)
    form = BreakGlassForm(request.POST, prefix="read")
    read = None
    status = 400
    if form.is_valid():
        try:
            read = services.break_glass_read(
                staff=request.user,
                person_id=row.id,
                kind=form.cleaned_data["kind"],
                item_id=form.cleaned_data["item_id"],
                reason=form.cleaned_data["reason"],
            )
            status = 200
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status_code
    response = _person_page(request, row, read_form=form, read=read)
    response.status_code = status
    response["Cache-Control"] = "no-store"
    return response


@staff_required
def audit(request):
    form = AuditSearchForm(request.GET)
    page = None
    if form.is_valid():
        events = selectors.audit_search(form.filters()).select_related(None)
        page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    services.staff_view_record(
        staff=request.user,
        page="audit",
        detail={"filters": {k: str(v) for k, v in (form.cleaned_data or {}).items() if v}}
        if form.is_valid()
        else {},
    )
    return render(
        request,
        "staff/audit.html",
        {"form": form, "page": page},
        status=200 if page is not None else 400,
    )


@staff_required
@require_http_methods(["GET"])
def report(request):
    form = ReportForm(request.GET)
    if not form.is_valid():
        services.staff_view_record(staff=request.user, page="report")
        return render(request, "staff/report.html", {"form": form}, status=400)
    since, until = form.window()
    data = selectors.compliance_report(since=since, until=until)
    as_csv = request.GET.get("format") == "csv"
    services.staff_view_record(
        staff=request.user,
        page="report.csv" if as_csv else "report",
        detail={"since": since.isoformat(), "until": until.isoformat()},
    )
    if as_csv:
        response = HttpResponse(compliance_csv(data), content_type="text/csv; charset=utf-8")
        name = f"compliance-{form.cleaned_data['since']}-{form.cleaned_data['until']}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "staff/report.html", {"form": form, "report": data})


@staff_required
def system(request):
    services.staff_view_record(staff=request.user, page="system")
    return render(request, "staff/system.html", {"status": selectors.system_status()})


def _policies_page(request, form=None, status: int = 200):
    versions = services.staff_policy_versions(staff=request.user)
    services.staff_view_record(staff=request.user, page="scoring policies")
    return render(
        request,
        "staff/policies.html",
        {"versions": versions, "form": form or PolicyActivateForm()},
        status=status,
    )


@staff_required
@require_http_methods(["GET"])
def policies(request):
    return _policies_page(request)


@staff_required
@require_POST
def policy_activate(request):
    """Activate a version of the scoring policy (the roll-back), with a reason."""
    form = PolicyActivateForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            chosen = services.staff_policy_activate(
                staff=request.user,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status_code
        else:
            messages.success(
                request, _("Version %(version)s is now active.") % {"version": chosen.version}
            )
            return redirect("staff-policies")
    return _policies_page(request, form=form, status=status)
