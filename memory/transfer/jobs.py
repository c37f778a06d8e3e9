"""Export and import of everything held about a person (README, "Export and import").

An export is a job row and a Celery task (`memory.export_build`, the job id only) that runs
every app's registered exporter (`accounts.hooks.transfer_register`) and writes a ZIP:

    manifest.json        format, version, sections (app, file, count, restored on import),
                         and the SHA-256 and size of every other file
    index.html           a human-readable overview (static HTML, no script, escaped)
    sections/<name>.json one file per section
    photos/<n>.<ext>     entry photos

The ZIP is stored encrypted with the person's key under DATA_TRANSFER_DIR. Its download link
carries a random token of which only the SHA-256 is kept; asking for the job's status issues a
fresh link (the previous one stops working), a link works once and expires after
DATA_EXPORT_TTL_HOURS; the beat job deletes expired files.

An import checks the upload (size, file count and unpacked size limits, manifest version and
every checksum) before anything is stored, keeps it encrypted until a worker restores it
(`memory.import_restore`): the slow preparation (embedding) first, in batches, then every
app's restorer in one transaction that also marks the job done, so a retried task never
restores twice and a failed one leaves nothing behind.
"""

import hashlib
import io
import json
import re
import secrets
import zipfile
import zlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.hooks import (
    ErasureOptions,
    ExportContext,
    ImportContext,
    registered_transfers,
    step_up_guarded,
)
from macaron.errors import Conflict, DomainError, NotFound, TooLarge
from macaron.vault import cipher_for
from memory.models import Memory, TransferJob
from memory.privacy.audit import AuditAction, audit_record
from memory.privacy.policies import SECRET, Reader, StepUpRequired, may_read, readable

FORMAT = "macaron-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
INDEX = "index.html"
FILE_PURPOSE = "transfer-archive"
SAFE_NAME = re.compile(r"^(sections|photos)/[A-Za-z0-9_.-]{1,80}$")
SECTION_NAME = re.compile(r"^[a-z_]{1,40}$")
MANIFEST_MAX_BYTES = 1024 * 1024
ACTIVE = (TransferJob.Status.PENDING, TransferJob.Status.RUNNING)
STALE_AFTER = timedelta(hours=2)  # longer than the tasks' time limits


class Gone(DomainError):
    status_code = 410
    code = "gone"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


# Jobs ------------------------------------------------------------------------------------


def transfer_job_get(*, user, kind: str, job_id) -> TransferJob:
    """The person's own job (someone else's id is a 404, like an unknown one; so is an export
    staff made on the person's request, whose archive is for the staff member)."""
    job = TransferJob.objects.filter(
        user=user, kind=kind, public_id=job_id, requested_by__isnull=True
    ).first()
    if job is None:
        raise NotFound(_("No such job."))
    return job


def _update(job: TransferJob, **fields: Any) -> None:
    """Write job fields at once (outside the caller's transaction when there is none)."""
    for name, value in fields.items():
        setattr(job, name, value)
    TransferJob.objects.filter(pk=job.pk).update(updated_at=timezone.now(), **fields)


def _folder() -> Path:
    folder = Path(settings.DATA_TRANSFER_DIR)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _file_write(job: TransferJob, data: bytes) -> str:
    name = f"{job.kind}-{job.public_id}.bin"
    blob = cipher_for(job.user_id).encrypt_bytes(data, purpose=FILE_PURPOSE)
    partial = _folder() / f"{name}.partial"
    partial.write_bytes(blob)
    partial.replace(_folder() / name)  # a reader never sees half a file
    return name


def _file_read(job: TransferJob) -> bytes:
    path = _folder() / job.file_name
    return cipher_for(job.user_id).decrypt_bytes(path.read_bytes(), purpose=FILE_PURPOSE)


def _file_delete(name: str) -> None:
    if name:
        (_folder() / name).unlink(missing_ok=True)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


# Export ----------------------------------------------------------------------------------


def _under_way(*, user, kind: str, requested_by=None) -> TransferJob | None:
    """The job of this kind for the person, asked by the same requester (the person, or one
    staff member), that is still pending or running; one that has not moved for STALE_AFTER
    (a lost task) is marked failed instead."""
    jobs = TransferJob.objects.filter(
        user=user, kind=kind, status__in=ACTIVE, requested_by=requested_by
    )
    for job in jobs.filter(updated_at__lt=timezone.now() - STALE_AFTER):
        _fail(job, "The job did not finish; please start again.")
    return jobs.order_by("-created_at").first()


def _export_readable(*, user, reader: Reader) -> None:
    """An export carries everything, so items that need a step-up need it before it starts."""
    guarded = list(
        Memory.objects.filter(user=user)
        .filter(Q(privacy=SECRET) | Q(policy__reauth_required=True))
        .only("id", "user_id", "privacy", "policy", "created_at")
    )
    _, denied = readable(guarded, reader, subject_user_id=user.id)
    locked = any(may_read(memory, reader).locked for memory in denied)
    for kind, items in step_up_guarded(user).items():  # sub-agent entries, through a registry
        _, denied_items = readable(items, reader, subject_user_id=user.id, kind=kind)
        locked = locked or any(may_read(item, reader).locked for item in denied_items)
    if locked:
        raise StepUpRequired(
            "Some of your data needs you to confirm your password before it is exported.",
            code="step_up_required",
        )


def export_job_create(
    *, user, requested_by=None, reason: str = "", reader: Reader | None = None
) -> TransferJob:
    """A new export job (or the one already under way). Enqueueing is the caller's
    (`memory.transfer.tasks.export_start`). Staff exporting on the person's request give the
    reason, which the person's audit log shows. With a `reader` (the person, on the web or the
    API) items that need a step-up must be readable by it; operators and staff pass none."""
    if reader is not None:
        _export_readable(user=user, reader=reader)
    running = _under_way(user=user, kind=TransferJob.Kind.EXPORT, requested_by=requested_by)
    if running is not None:
        return running
    job = TransferJob.objects.create(
        user=user, requested_by=requested_by, kind=TransferJob.Kind.EXPORT
    )
    audit_record(
        action=AuditAction.EXPORT,
        subject_user_id=user.id,
        actor=requested_by if requested_by is not None else user,
        purpose=f"export requested by staff: {reason}" if requested_by else "export requested",
        detail={"job": str(job.public_id)},
    )
    return job


def _count(value: Any) -> int:
    if isinstance(value, list):
        return len(value)
    return 0 if value is None else 1


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def archive_build(*, user, job_id: str, sections: dict, owners: dict, restored: dict, files: dict):
    """The ZIP's bytes: sections, extra files, the HTML index and the manifest."""
    content: dict[str, bytes] = {f"sections/{name}.json": _dumps(v) for name, v in sections.items()}
    content.update(files)
    with translation.override(user.preferred_language):
        content[INDEX] = render_to_string(
            "memory/export_index.html",
            {
                "person": sections.get("profile") or {},
                "account": sections.get("account") or {},
                "sections": [
                    {"name": n, "count": _count(v), "restored": restored[n]}
                    for n, v in sections.items()
                ],
                "conversations": sections.get("conversations", []),
                "memories": sections.get("memories", []),
                "installations": sections.get("installations", []),
                "exported_at": timezone.now(),
            },
        ).encode("utf-8")
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "export_id": job_id,
        "exported_at": timezone.now().isoformat(),
        "sections": {
            name: {
                "file": f"sections/{name}.json",
                "app": owners[name],
                "count": _count(value),
                "restored_on_import": restored[name],
            }
            for name, value in sections.items()
        },
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in sorted(content.items())
        },
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, _dumps(manifest))
        for name, data in sorted(content.items()):
            archive.writestr(name, data)
    return buffer.getvalue()


def export_build(*, job_id: str) -> None:
    """The worker's half of an export (idempotent: a finished job is left as it is)."""
    job = TransferJob.objects.filter(public_id=job_id, kind=TransferJob.Kind.EXPORT).first()
    if job is None or job.status not in ACTIVE:
        return
    try:
        _export_build(job)
    except Exception:
        # The person sees a failed job, not one running forever, and can start again; the
        # error itself (with its traceback, never content) goes to the worker's log.
        _fail(job, "The export could not be built; please start a new one.")
        raise


def _export_build(job: TransferJob) -> None:
    _update(job, status=TransferJob.Status.RUNNING, progress=0.0)
    user = job.user
    ctx = ExportContext(user=user)
    sections: dict[str, Any] = {}
    owners: dict[str, str] = {}
    restored: dict[str, bool] = {}
    transfers = registered_transfers()
    for step, (app, transfer) in enumerate(transfers, start=1):
        for name, value in transfer.export(ctx).items():
            sections[name], owners[name] = value, app
            restored[name] = name not in transfer.not_restored
        _update(job, progress=round(0.8 * step / len(transfers), 3))
    data = archive_build(
        user=user,
        job_id=str(job.public_id),
        sections=sections,
        owners=owners,
        restored=restored,
        files=ctx.files,
    )
    name = _file_write(job, data)
    _update(
        job,
        status=TransferJob.Status.DONE,
        progress=1.0,
        file_name=name,
        finished_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=settings.DATA_EXPORT_TTL_HOURS),
        counts={n: _count(v) for n, v in sections.items()},
    )


def export_link_issue(*, job: TransferJob) -> str | None:
    """A fresh single-use download token for a finished, not yet downloaded export (the
    previous token stops working); None when there is nothing to download."""
    if (
        job.kind != TransferJob.Kind.EXPORT
        or job.status != TransferJob.Status.DONE
        or job.downloaded_at is not None
        or not job.file_name
        or (job.expires_at is not None and job.expires_at <= timezone.now())
    ):
        return None
    token = secrets.token_urlsafe(32)
    _update(job, token_digest=_token_digest(token))
    return token


@dataclass(frozen=True)
class Download:
    data: bytes
    filename: str


def export_download(*, user, job_id, token: str) -> Download:
    """The archive, once: the export must be finished and unexpired and the token the latest
    one issued. The link works on its own (opened in a browser by an API client); a signed-in
    person other than the owner gets a 404, and without a valid token a visitor is a 401. An
    export staff made on a person's request is the staff member's to download, not the
    person's (who sees it, and its download, in their audit log). The
    file is deleted once it is handed out; the token's digest is kept, so a second use is told
    so (410)."""
    anonymous = user is None or not user.is_authenticated
    with transaction.atomic():
        job = (
            TransferJob.objects.select_for_update()
            .filter(kind=TransferJob.Kind.EXPORT, public_id=job_id)
            .first()
        )
        matches = bool(
            job is not None
            and token
            and job.token_digest
            and secrets.compare_digest(_token_digest(token), job.token_digest)
        )
        if anonymous and not matches:
            raise NotAuthenticated(_("Log in, or use the latest download link of the export."))
        if job is None or (not anonymous and user.id != (job.requested_by_id or job.user_id)):
            raise NotFound(_("No such export."))
        if job.status != TransferJob.Status.DONE:
            raise Conflict(_("This export is not ready yet; wait until its status is done."))
        if job.downloaded_at is not None:
            raise Gone(
                _(
                    "This export was already downloaded; a download link works once. "
                    "Start a new export to download your data again."
                )
            )
        if not job.file_name or (job.expires_at and job.expires_at <= timezone.now()):
            raise Gone(_("This export has expired; start a new export."))
        if not matches:
            raise Gone(
                _(
                    "This download link is no longer valid (a newer one was issued); "
                    "open the export's status for a fresh link."
                )
            )
        data = _file_read(job)
        name = job.file_name
        _update(job, downloaded_at=timezone.now(), file_name="")
        audit_record(
            action=AuditAction.EXPORT_DOWNLOAD,
            subject_user_id=job.user_id,
            actor=job.requested_by or job.user,
            purpose="export downloaded by staff" if job.requested_by_id else "export downloaded",
            detail={"job": str(job.public_id)},
        )
        transaction.on_commit(lambda: _file_delete(name))
    stamp = (job.finished_at or timezone.now()).strftime("%Y%m%d-%H%M")
    return Download(data=data, filename=f"macaron-export-{stamp}.zip")


# Import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Archive:
    manifest: dict
    sections: dict[str, Any]
    files: dict[str, bytes]  # photos and other extra files, by path
    sha256: str


def _invalid(message: str) -> DomainError:
    return DomainError(message, code="invalid_archive", fields={"archive": [message]})


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """A member's bytes, never more than `budget` whatever its header claims (zip bombs)."""
    with archive.open(info) as member:
        data = member.read(budget + 1)
    if len(data) > budget:
        raise _invalid(_("The archive unpacks to more than the allowed size."))
    return data


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _invalid(_("%(file)s is not valid JSON.") % {"file": what}) from None


def _members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > settings.DATA_IMPORT_MAX_FILES:
        raise _invalid(
            _("The archive holds %(count)s files; at most %(limit)s are accepted.")
            % {"count": len(infos), "limit": settings.DATA_IMPORT_MAX_FILES}
        )
    if sum(info.file_size for info in infos) > settings.DATA_IMPORT_MAX_UNPACKED_BYTES:
        raise _invalid(
            _("The archive unpacks to more than %(mb)s MB.")
            % {"mb": settings.DATA_IMPORT_MAX_UNPACKED_BYTES // (1024 * 1024)}
        )
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        if name in members or (name not in (MANIFEST, INDEX) and not SAFE_NAME.match(name)):
            raise _invalid(
                _("The archive holds an unexpected file: '%(name)s'.") % {"name": name[:80]}
            )
        members[name] = info
    if MANIFEST not in members:
        raise _invalid(_("The archive has no manifest.json: it is not a Macaron export."))
    return members


def _manifest(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict:
    manifest = _json(_read(archive, info, MANIFEST_MAX_BYTES), "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _invalid(_("manifest.json does not describe a Macaron export."))
    if manifest.get("version") != FORMAT_VERSION:
        raise _invalid(
            _(
                "The archive's format version %(version)s is not supported "
                "(this Macaron reads version %(supported)s)."
            )
            % {"version": str(manifest.get("version"))[:20], "supported": FORMAT_VERSION}
        )
    if not isinstance(manifest.get("files"), dict) or not isinstance(
        manifest.get("sections"), dict
    ):
        raise _invalid(_("manifest.json lacks its files or sections."))
    return manifest


def archive_open(data: bytes) -> Archive:
    """Check an uploaded archive completely; DomainError (a 400) says what is wrong."""
    if len(data) > settings.DATA_IMPORT_MAX_BYTES:
        message = _("The archive is larger than %(mb)s MB.") % {
            "mb": settings.DATA_IMPORT_MAX_BYTES // (1024 * 1024)
        }
        raise TooLarge(message, fields={"archive": [message]})
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = _members(archive)
            manifest = _manifest(archive, members.pop(MANIFEST))
            listed = manifest["files"]
            unlisted = sorted(set(members) - set(listed))
            if unlisted:
                raise _invalid(
                    _("%(file)s is not listed in manifest.json.") % {"file": unlisted[0][:80]}
                )
            budget = settings.DATA_IMPORT_MAX_UNPACKED_BYTES
            contents: dict[str, bytes] = {}
            for name, entry in listed.items():
                if name not in members:
                    raise _invalid(
                        _("%(file)s is listed in manifest.json but missing.")
                        % {"file": str(name)[:80]}
                    )
                content = _read(archive, members[name], budget)
                budget -= len(content)
                digest = entry.get("sha256") if isinstance(entry, dict) else None
                if hashlib.sha256(content).hexdigest() != digest:
                    raise _invalid(
                        _(
                            "%(file)s does not match its checksum in manifest.json: "
                            "the archive was altered or damaged."
                        )
                        % {"file": name}
                    )
                contents[name] = content
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        raise _invalid(_("The file is not a readable ZIP archive.")) from None
    sections: dict[str, Any] = {}
    for name, entry in manifest["sections"].items():
        path = f"sections/{name}.json"
        if not SECTION_NAME.match(str(name)) or not isinstance(entry, dict):
            raise _invalid(
                _("manifest.json names an invalid section: '%(name)s'.") % {"name": str(name)[:40]}
            )
        if path not in contents:
            raise _invalid(_("The %(name)s section's file is missing.") % {"name": name})
        sections[name] = _json(contents[path], path)
    files = {n: c for n, c in contents.items() if n.startswith("photos/")}
    return Archive(
        manifest=manifest,
        sections=sections,
        files=files,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def import_job_create(*, user, data: bytes, requested_by=None) -> TransferJob:
    """Check the upload and keep it (encrypted) for the worker. The same archive imported into
    the same account twice is refused (409)."""
    archive = archive_open(data)
    _under_way(user=user, kind=TransferJob.Kind.IMPORT)  # fails lost imports of the person
    if TransferJob.objects.filter(
        user=user,
        kind=TransferJob.Kind.IMPORT,
        archive_sha256=archive.sha256,
        status__in=(*ACTIVE, TransferJob.Status.DONE),
    ).exists():
        raise Conflict(_("This archive was already imported into this account."))
    job = TransferJob.objects.create(
        user=user,
        requested_by=requested_by,
        kind=TransferJob.Kind.IMPORT,
        archive_sha256=archive.sha256,
    )
    _update(job, file_name=_file_write(job, data))
    audit_record(
        action=AuditAction.IMPORT,
        subject_user_id=user.id,
        actor=requested_by if requested_by is not None else user,
        purpose="import requested",
        detail={"job": str(job.public_id)},
    )
    return job


RESTORE_ERRORS = (DomainError, ValueError, KeyError, TypeError, AttributeError)


def _fail(job: TransferJob, message: str) -> None:
    _update(job, status=TransferJob.Status.FAILED, error=message[:300], finished_at=timezone.now())
    _file_delete(job.file_name)
    _update(job, file_name="")


def import_restore(*, job_id: str) -> None:
    """The worker's half of an import. Idempotent: the restore and the job's "done" commit
    together, and a finished or failed job is left as it is."""
    job = TransferJob.objects.filter(public_id=job_id, kind=TransferJob.Kind.IMPORT).first()
    if job is None or job.status not in ACTIVE:
        return
    try:
        _import_restore(job)
    except Exception:
        _fail(job, "The import could not be finished; please try again.")
        raise


def _import_restore(job: TransferJob) -> None:
    _update(job, status=TransferJob.Status.RUNNING, progress=0.05)
    transfers = registered_transfers()
    app = "archive"
    try:
        archive = archive_open(_file_read(job))
        ctx = ImportContext(user=job.user, sections=archive.sections, files=archive.files)
        preparing = [(a, t) for a, t in transfers if t.prepare is not None]
        for step, (name, transfer) in enumerate(preparing):
            app = name

            def progress(done: float, step: int = step) -> None:
                share = (step + min(max(done, 0.0), 1.0)) / len(preparing)
                _update(job, progress=round(0.05 + 0.75 * share, 3))

            assert transfer.prepare is not None
            transfer.prepare(ctx, progress)
        with transaction.atomic():
            locked = TransferJob.objects.select_for_update().get(pk=job.pk)
            if locked.status not in ACTIVE:
                return
            for name, transfer in transfers:
                app = name
                transfer.restore(ctx)
            app = "links"
            for finish in ctx.finishers:
                finish()
            TransferJob.objects.filter(pk=job.pk).update(
                status=TransferJob.Status.DONE,
                progress=1.0,
                counts=ctx.counts,
                finished_at=timezone.now(),
                updated_at=timezone.now(),
            )
            audit_record(
                action=AuditAction.IMPORT,
                subject_user_id=job.user_id,
                actor=job.requested_by or job.user,
                purpose="import restored",
                detail={"job": str(job.public_id), "counts": ctx.counts},
            )
    except DomainError as problem:
        _fail(job, f"The archive could not be restored ({app}): {problem.message}")
        return
    except RESTORE_ERRORS:
        # Never the exception's text: it may quote the archive's content.
        _fail(job, f"The archive could not be restored: its {app} data is malformed.")
        return
    _file_delete(job.file_name)
    _update(job, file_name="")


# Expiry and erasure ----------------------------------------------------------------------


def transfers_expire(*, now=None) -> int:
    """Delete expired export files and leftovers of finished imports (the beat job)."""
    now = now or timezone.now()
    stale = TransferJob.objects.exclude(file_name="").filter(
        expires_at__lte=now
    ) | TransferJob.objects.exclude(file_name="").filter(
        kind=TransferJob.Kind.IMPORT,
        status__in=(TransferJob.Status.DONE, TransferJob.Status.FAILED),
    )
    expired = 0
    for job in stale:
        _file_delete(job.file_name)
        _update(job, file_name="")
        expired += 1
    return expired


def user_transfers_erase(user, options: ErasureOptions) -> dict[str, int]:
    """The eraser: archive files go with the jobs (their key is shredded anyway)."""
    jobs = TransferJob.objects.filter(user=user)
    for name in jobs.exclude(file_name="").values_list("file_name", flat=True):
        _file_delete(name)
    return {"jobs": jobs.delete()[0]}


# Without a worker (the management commands) ----------------------------------------------


def export_now(*, user) -> Download:
    """Build an export at once and hand it out (an operator's `export_user`)."""
    job = export_job_create(user=user)
    export_build(job_id=str(job.public_id))
    job.refresh_from_db()
    token = export_link_issue(job=job)
    if token is None:
        raise Conflict("The export could not be built.")
    return export_download(user=user, job_id=job.public_id, token=token)


def import_now(*, user, data: bytes) -> TransferJob:
    """Check and restore an archive at once (an operator's `import_user`)."""
    job = import_job_create(user=user, data=data)
    import_restore(job_id=str(job.public_id))
    job.refresh_from_db()
    return job
