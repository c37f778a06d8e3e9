"""The staff console's moderation queue (/staff/moderation/): open reports, dismissed or the
listing hidden through community's moderation services; audited like every console page."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from community import selectors, services
from macaron.errors import DomainError
from memory.staff.services import staff_view_record
from memory.staff.views import staff_required

RESOLUTIONS = ("dismissed", "hidden")


@staff_required
def moderation(request):
    if request.method == "POST":
        action = request.POST.get("action", "")
        report_id = request.POST.get("report", "")
        if action not in RESOLUTIONS or not report_id.isdigit() or len(report_id) > 18:
            messages.error(request, _("Choose a report and dismiss it or hide its listing."))
            return redirect("staff-moderation")
        try:
            report = selectors.report_for_moderator(
                moderator=request.user, report_id=int(report_id)
            )
        except DomainError:
            raise Http404("No such report.") from None
        services.report_resolve(moderator=request.user, report=report, resolution=action)
        staff_view_record(
            staff=request.user,
            page="moderation",
            detail={"report": report.pk, "resolution": action, "blueprint": report.blueprint_id},
        )
        messages.success(request, _("Done."))
        return redirect("staff-moderation")
    reports = list(selectors.reports_open(moderator=request.user)[:100])
    staff_view_record(
        staff=request.user, page="moderation", detail={"reports": [r.pk for r in reports]}
    )
    return render(
        request,
        "staff/moderation.html",
        {"reports": [(report, selectors.report_note(report=report)) for report in reports]},
    )
