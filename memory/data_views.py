"""The "Your data" page: export everything (a progress bar polls the API, static/js/data.js),
download it once, and import an archive into this account."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from macaron.errors import DomainError
from macaron.forms import add_domain_error
from memory.forms import ArchiveImportForm
from memory.models import TransferJob
from memory.privacy.policies import StepUpRequired
from memory.privacy.readers import export_reader
from memory.transfer.tasks import export_start, import_start


def _latest(user, kind: str) -> TransferJob | None:
    # the person's own jobs: an export staff made on their request is the staff member's
    return (
        TransferJob.objects.filter(user=user, kind=kind, requested_by__isnull=True)
        .order_by("-created_at")
        .first()
    )


def _page(request, form: ArchiveImportForm, status: int = 200):
    context = {
        "export": _latest(request.user, TransferJob.Kind.EXPORT),
        "import_job": _latest(request.user, TransferJob.Kind.IMPORT),
        "form": form,
        "max_mb": settings.DATA_IMPORT_MAX_BYTES // (1024 * 1024),
        "ttl_hours": int(settings.DATA_EXPORT_TTL_HOURS),
    }
    return render(request, "memory/data.html", context, status=status)


@login_required
def data_page(request):
    return _page(request, ArchiveImportForm())


@require_POST
@login_required
def data_export(request):
    try:
        export_start(user=request.user, reader=export_reader(request))
    except StepUpRequired:
        return redirect(f"{reverse('step_up')}?{urlencode({'next': reverse('data')})}")
    messages.success(request, _("Your export has started."))
    return redirect("data")


@require_POST
@login_required
def data_import(request):
    form = ArchiveImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    upload = form.cleaned_data["archive"]
    try:
        if upload.size > settings.DATA_IMPORT_MAX_BYTES:
            raise DomainError(
                _("The archive is larger than %(mb)s MB.")
                % {"mb": settings.DATA_IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        import_start(user=request.user, data=upload.read())
    except DomainError as error:
        add_domain_error(form, error)
        return _page(request, form, status=400)
    messages.success(request, _("Your archive is being imported."))
    return redirect("data")
