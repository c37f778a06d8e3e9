"""Export and import over REST (README, "Export and import"). Someone else's job id is a 404;
anonymous calls are a 401."""

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiTokenAuthentication
from macaron.errors import DomainError, TooLarge
from memory.models import TransferJob
from memory.privacy.readers import export_reader
from memory.transfer.jobs import export_download, export_link_issue, transfer_job_get
from memory.transfer.tasks import export_start, import_start


class TransferJobOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.ChoiceField(choices=TransferJob.Status.choices)
    progress = serializers.FloatField(min_value=0, max_value=1)
    download_url = serializers.URLField(
        required=False, help_text="Only when an export is done: works once, then expires"
    )
    error = serializers.CharField(required=False, help_text="Why a failed job failed")
    counts = serializers.DictField(child=serializers.IntegerField(), required=False)


def job_body(request, job: TransferJob) -> dict:
    body = dict(TransferJobOutput(job).data)
    for optional in ("download_url", "error", "counts"):
        body.pop(optional, None)
    if job.status == TransferJob.Status.FAILED:
        body["error"] = job.error
    if job.status == TransferJob.Status.DONE:
        body["counts"] = job.counts
    token = export_link_issue(job=job) if job.kind == TransferJob.Kind.EXPORT else None
    if token is not None:
        path = reverse("v1:me-export-download", kwargs={"job_id": job.public_id})
        body["download_url"] = request.build_absolute_uri(f"{path}?token={token}")
    return body


class TransferApi(APIView):
    # Token first: an anonymous call is answered 401 with a WWW-Authenticate header.
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]


class ExportApi(TransferApi):
    """Start an export of everything held about you; poll its status for the download link."""

    @extend_schema(request=None, responses={202: TransferJobOutput})
    def post(self, request, *args, **kwargs):
        job = export_start(user=request.user, reader=export_reader(request))
        return Response(job_body(request, job), status=status.HTTP_202_ACCEPTED)


class ExportDetailApi(TransferApi):
    """The export's status; when done, a fresh single-use download link (earlier ones stop
    working)."""

    @extend_schema(responses=TransferJobOutput)
    def get(self, request, job_id, *args, **kwargs):
        job = transfer_job_get(user=request.user, kind=TransferJob.Kind.EXPORT, job_id=job_id)
        return Response(job_body(request, job))


class ExportDownloadApi(TransferApi):
    """The ZIP, once. A second download, an expired export or a replaced link is a 410. The
    link works without a session or token (its own token is the proof); another signed-in
    person gets a 404."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("token", str, required=True)],
        responses={
            (200, "application/zip"): OpenApiTypes.BINARY,
            410: inline_serializer("Gone", {"error": serializers.DictField()}),
        },
    )
    def get(self, request, job_id, *args, **kwargs):
        token = request.query_params.get("token", "")
        download = export_download(user=request.user, job_id=job_id, token=str(token)[:200])
        response = HttpResponse(download.data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
        response["Cache-Control"] = "no-store"
        return response


class ArchiveImportInput(serializers.Serializer):
    archive = serializers.FileField(help_text="A ZIP made by the export")


class ImportApi(TransferApi):
    """Import an exported archive into your account (checked now, restored by a worker)."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": ArchiveImportInput}, responses={202: TransferJobOutput}
    )
    def post(self, request, *args, **kwargs):
        upload = request.FILES.get("archive")
        if upload is None:
            message = _("Attach the archive as the multipart field `archive`.")
            raise DomainError(message, fields={"archive": [message]})
        if upload.size > settings.DATA_IMPORT_MAX_BYTES:
            message = _("The archive is larger than %(mb)s MB.") % {
                "mb": settings.DATA_IMPORT_MAX_BYTES // (1024 * 1024)
            }
            raise TooLarge(message, fields={"archive": [message]})
        job = import_start(user=request.user, data=upload.read())
        return Response(job_body(request, job), status=status.HTTP_202_ACCEPTED)


class ImportDetailApi(TransferApi):
    @extend_schema(responses=TransferJobOutput)
    def get(self, request, job_id, *args, **kwargs):
        job = transfer_job_get(user=request.user, kind=TransferJob.Kind.IMPORT, job_id=job_id)
        return Response(job_body(request, job))
