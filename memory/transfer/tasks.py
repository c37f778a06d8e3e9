"""Export and import tasks (registered with Celery through memory.tasks): a job id in, never
personal data; the work is in memory.transfer.jobs."""

from celery import shared_task

from memory.models import TransferJob
from memory.privacy.policies import Reader
from memory.transfer.jobs import (
    export_build,
    export_job_create,
    import_job_create,
    import_restore,
    transfers_expire,
)


@shared_task(
    name="memory.export_build",
    acks_late=True,  # a worker lost mid-build: the job is still running and is built again
    time_limit=1800,
    soft_time_limit=1700,
)
def build_export(job_id: str) -> None:
    export_build(job_id=job_id)


@shared_task(
    name="memory.import_restore",
    acks_late=True,  # safe: the restore commits with the job's "done" (see import_restore)
    time_limit=3600,
    soft_time_limit=3500,
)
def restore_import(job_id: str) -> None:
    import_restore(job_id=job_id)


@shared_task(name="memory.transfers_expire", time_limit=600, soft_time_limit=540)
def expire_transfers() -> int:
    return transfers_expire()


def export_start(
    *, user, requested_by=None, reason: str = "", reader: Reader | None = None
) -> TransferJob:
    """Create an export job and have a worker build it once the job row is committed."""
    job = export_job_create(user=user, requested_by=requested_by, reason=reason, reader=reader)
    if job.status == TransferJob.Status.PENDING:
        build_export.delay_on_commit(str(job.public_id))
    return job


def import_start(*, user, data: bytes, requested_by=None) -> TransferJob:
    """Check the archive, keep it, and have a worker restore it after commit."""
    job = import_job_create(user=user, data=data, requested_by=requested_by)
    restore_import.delay_on_commit(str(job.public_id))
    return job
