"""Response-pack workflows: request, build (in the worker), cancel, retry, purge, and write from the shell.

How a build stays safe when workers die:
- A job is claimed by a conditional UPDATE (queued -> running, or a running job whose worker has gone
  silent), which bumps `attempts`. Every later write by that worker names its attempt, so a worker
  that lost its claim (the job was cancelled, or taken over) stops at its next batch and keeps nothing.
- The pack is written in a temporary directory and reaches storage only when whole; a worker killed
  mid-build leaves nothing in storage, and the next attempt deletes the dead one's temporary files.
- The task acknowledges late: if the worker dies, the broker hands the task to another worker, which
  finds the job silent and builds it again; after MAX_ATTEMPTS such deaths the job fails with a reason.
"""

import datetime
import errno
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from consultations.models import Consultation
from exports.builders.bundle import BuiltPack, build_pack
from exports.models import ExportFormat, ExportJob, ExportStage, ExportStatus, pack_upload_to
from exports.pack import BuildStopped, PackError, PackSource
from webhooks.services import webhook_emit

logger = logging.getLogger(__name__)

# A job whose worker died this many times in the middle of a build is failed rather than tried again.
MAX_ATTEMPTS = 3
# A worker is presumed dead after missing this many heartbeats.
SILENT_BEATS = 3
TEMP_PREFIX = "consultrack-pack-"
# The webhook event of a finished pack (registered with its label in ExportsConfig.ready).
EVENT_PACK_READY = "pack.ready"


# Requests from the web ------------------------------------------------------------------------------


def export_job_request(
    *,
    consultation: Consultation,
    filters: dict,
    format: str,
    include_attachments: bool,
    requested_by: User | None,
) -> ExportJob:
    """Record a pack request and queue its build once the request's transaction has committed."""
    format = ExportFormat(format)
    job = ExportJob.objects.create(
        consultation=consultation,
        filters=filters,
        format=format,
        # Only a ZIP has room for the original files.
        include_attachments=include_attachments and format == ExportFormat.ZIP,
        requested_by=requested_by,
    )
    _queue_build(job)
    return job


def export_job_cancel(*, job: ExportJob) -> bool:
    """Cancel a queued or running job; a running build stops at its next batch. False if it had ended."""
    cancelled = (
        ExportJob.objects.filter(pk=job.pk)
        .active()
        .update(status=ExportStatus.CANCELLED, stage="", finished_at=timezone.now())
    )
    return bool(cancelled)


def export_job_retry(*, job: ExportJob) -> bool:
    """Queue a failed or cancelled job again, from the start. False if it was not failed or cancelled."""
    retried = ExportJob.objects.filter(pk=job.pk, status__in=[ExportStatus.FAILED, ExportStatus.CANCELLED]).update(
        status=ExportStatus.QUEUED,
        stage="",
        error="",
        progress_done=0,
        progress_total=0,
        started_at=None,
        finished_at=None,
        heartbeat_at=None,
    )
    if retried:
        _queue_build(job)
    return bool(retried)


def _queue_build(job: ExportJob) -> None:
    """Send the build to the workers once the request's transaction has committed.

    When the task queue (the broker) cannot be reached, the job stays queued and `job.queue_unavailable`
    tells the request so; export_jobs_requeue_waiting sends it once the broker is back.
    """

    def send() -> None:
        job.queue_unavailable = not _send_build(job.pk)

    transaction.on_commit(send)


def _send_build(job_id: int, **options) -> bool:
    """Hand a job's build to the broker; False, logged, when the broker cannot be reached."""
    from exports.tasks import build_pack_task  # the task module imports this one

    try:
        build_pack_task.apply_async(args=[job_id], **options)
    except Exception as exc:
        # kombu's OperationalError once its publish retries are spent, or the transport's own errors:
        # the job row is the record of the request, so nothing is lost by carrying on.
        logger.warning("Export job %s: the task queue cannot be reached (%s); the job stays queued.", job_id, exc)
        return False
    return True


# The build, in the worker ---------------------------------------------------------------------------


class JobProgress:
    """Progress of one attempt at a job, saved between batches.

    Each save is a conditional UPDATE on the attempt that the worker claimed: when it matches no row,
    the job was cancelled or taken over, and BuildStopped ends the build.
    """

    def __init__(self, job_id: int, attempt: int) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self.done = 0
        self.total = 0
        self.current_stage = ""
        self.delay = float(getattr(settings, "EXPORT_BATCH_DELAY_SECONDS", 0) or 0)

    def _mine(self):
        return ExportJob.objects.filter(pk=self.job_id, attempts=self.attempt, status=ExportStatus.RUNNING)

    def save(self) -> None:
        updated = self._mine().update(
            progress_done=self.done, progress_total=self.total, stage=self.current_stage, heartbeat_at=timezone.now()
        )
        if not updated:
            raise BuildStopped

    def start(self, *, total: int) -> None:
        self.total, self.done = total, 0
        self.save()

    def stage(self, stage: ExportStage) -> None:
        self.current_stage = stage
        self.save()

    def advance(self, count: int = 1) -> None:
        self.done = min(self.done + count, self.total)

    def checkpoint(self) -> None:
        self.save()
        if self.delay:
            time.sleep(self.delay)


class _Heartbeat(threading.Thread):
    """Tells the database, every few seconds, that the worker building a job is alive.

    Batches already do so, but a single long step (WeasyPrint laying out a large PDF) can take
    minutes; without a heartbeat a redelivered task would take the job over from a live worker.
    """

    def __init__(self, job_id: int, attempt: int, interval: float) -> None:
        super().__init__(name=f"export-heartbeat-{job_id}", daemon=True)
        self.job_id, self.attempt, self.interval = job_id, attempt, interval
        self._stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                try:
                    ExportJob.objects.filter(pk=self.job_id, attempts=self.attempt, status=ExportStatus.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except Exception:
                    logger.warning("Export job %s: could not record a heartbeat.", self.job_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=10)


def _heartbeat_seconds() -> float:
    return float(getattr(settings, "EXPORT_HEARTBEAT_SECONDS", 10))


def _machine_prefix() -> str:
    """Temporary folders are named per database too, so two sites on one machine never touch each other's."""
    database = settings.DATABASES["default"]
    key = f"{database.get('HOST', '')}:{database.get('PORT', '')}/{database['NAME']}"
    return f"{TEMP_PREFIX}{hashlib.sha256(key.encode()).hexdigest()[:8]}-"


def _claim(job_id: int) -> ExportJob | None:
    """Take the job for this worker: queued, or running but silent (its worker died). None otherwise."""
    now = timezone.now()
    silent_since = now - datetime.timedelta(seconds=SILENT_BEATS * _heartbeat_seconds())
    silent = Q(status=ExportStatus.RUNNING) & (Q(heartbeat_at__lt=silent_since) | Q(heartbeat_at__isnull=True))
    gave_up = ExportJob.objects.filter(silent, pk=job_id, attempts__gte=MAX_ATTEMPTS).update(
        status=ExportStatus.FAILED,
        stage="",
        finished_at=now,
        error=_(
            "The worker building this pack stopped %(count)d times before finishing (it may have run out of "
            "memory). Try a smaller pack: fewer responses through the filters, or one format at a time."
        )
        % {"count": MAX_ATTEMPTS},
    )
    if gave_up:
        logger.error("Export job %s: failed after %s interrupted attempts.", job_id, MAX_ATTEMPTS)
        job = ExportJob.objects.get(pk=job_id)
        _discard_leftovers(job, below_attempt=job.attempts + 1)
        return None
    claimed = ExportJob.objects.filter(Q(status=ExportStatus.QUEUED) | silent, pk=job_id).update(
        status=ExportStatus.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        progress_done=0,
        progress_total=0,
        stage="",
        error="",
    )
    if not claimed:
        return None
    return ExportJob.objects.select_related("consultation", "requested_by").get(pk=job_id)


def _storage() -> Storage:
    return ExportJob._meta.get_field("file").storage


def _discard_leftovers(job: ExportJob, *, below_attempt: int) -> None:
    """Delete what earlier, interrupted attempts left: their temporary folders and any half-saved file."""
    prefix = f"{_machine_prefix()}{job.pk}-"
    for folder in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        attempt = folder.name[len(prefix) :].split("-", 1)[0]
        if attempt.isdigit() and int(attempt) < below_attempt:
            shutil.rmtree(folder, ignore_errors=True)
    storage = _storage()
    folder = pack_upload_to(job, "").rstrip("/")
    try:
        _dirs, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        path = f"{folder}/{name}"
        if path != job.file.name:
            storage.delete(path)


def _reason(exc: BaseException) -> str:
    """An error as the person who asked for the pack should read it."""
    if isinstance(exc, PackError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return _(
            "The server ran out of memory building this pack. Try a smaller pack: fewer responses through the "
            "filters, or one format at a time."
        )
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return _("The server ran out of disk space while building this pack. Tell an administrator.")
    return _(
        "The pack could not be built because of an unexpected error (%(kind)s). Retry it; if it fails again, "
        "tell an administrator, who will find the details in the worker's log."
    ) % {"kind": type(exc).__name__}


def _fail(job_id: int, attempt: int, reason: str) -> None:
    ExportJob.objects.filter(pk=job_id, attempts=attempt, status=ExportStatus.RUNNING).update(
        status=ExportStatus.FAILED, stage="", error=reason, finished_at=timezone.now()
    )


def _store(job: ExportJob, attempt: int, built: BuiltPack) -> None:
    """Move the whole pack into storage, then mark the job done, unless it stopped being ours meanwhile."""
    now = timezone.now()
    job.finished_at = now
    storage = _storage()
    with built.path.open("rb") as handle:
        name = storage.save(pack_upload_to(job, job.download_name()), File(handle), max_length=255)
    done = ExportJob.objects.filter(pk=job.pk, attempts=attempt, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE,
        stage="",
        file=name,
        file_size=built.size,
        checksum=built.sha256,
        progress_done=F("progress_total"),
        heartbeat_at=now,
        finished_at=now,
        expires_at=now + datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS),
    )
    if not done:
        storage.delete(name)
        raise BuildStopped
    # The job is done and committed (no transaction is open here): webhooks are told now.
    _emit_pack_ready(job.pk)


def _emit_pack_ready(job_id: int) -> None:
    job = ExportJob.objects.select_related("consultation", "requested_by").get(pk=job_id)
    webhook_emit(
        event=EVENT_PACK_READY,
        data={
            "export_job": {
                "id": job.pk,
                "format": job.format,
                "status": job.status,
                "file_size": job.file_size,
                "checksum": job.checksum,
                "filters": job.filters,
                "finished_at": job.finished_at,
                "expires_at": job.expires_at,
                "requested_by": job.requested_by.get_username() if job.requested_by else None,
                "url": settings.SITE_URL + reverse("exports:job-detail", args=[job.pk]),
                "api_url": f"{settings.SITE_URL}/api/v1/export-jobs/{job.pk}/",
                "download_api_url": f"{settings.SITE_URL}/api/v1/export-jobs/{job.pk}/download/",
            },
            "consultation": {"id": job.consultation_id, "slug": job.consultation.slug, "title": job.consultation.title},
        },
    )


def export_job_build(*, job_id: int) -> None:
    """Build a job's pack (the worker's side). Safe to call again for the same job: see the module doc."""
    job = _claim(job_id)
    if job is None:
        logger.info("Export job %s: nothing to do (done, cancelled, failed, or being built elsewhere).", job_id)
        return
    attempt = job.attempts
    _discard_leftovers(job, below_attempt=attempt)
    progress = JobProgress(job.pk, attempt)
    heartbeat = _Heartbeat(job.pk, attempt, _heartbeat_seconds())
    heartbeat.start()
    # The pack is written in the language of whoever asked for it.
    language = (job.requested_by.language if job.requested_by else "") or settings.LANGUAGE_CODE
    try:
        with (
            translation.override(language),
            tempfile.TemporaryDirectory(prefix=f"{_machine_prefix()}{job.pk}-{attempt}-") as workdir,
        ):
            source = PackSource(
                consultation=job.consultation,
                filters=job.filters,
                progress=progress,
                time_zone=job.requested_by.time_zone if job.requested_by else None,
            )
            built = build_pack(
                source, fmt=job.format, include_attachments=job.include_attachments, workdir=Path(workdir)
            )
            progress.stage(ExportStage.STORING)
            _store(job, attempt, built)
        logger.info("Export job %s: done (%s bytes).", job.pk, built.size)
    except BuildStopped:
        logger.info("Export job %s: stopped (cancelled, or taken over by another worker).", job.pk)
    except Exception as exc:
        logger.exception("Export job %s: failed.", job.pk)
        _fail(job.pk, attempt, _reason(exc))
    finally:
        heartbeat.stop()


# Housekeeping (beat) --------------------------------------------------------------------------------


def export_jobs_requeue_waiting(*, now: datetime.datetime | None = None) -> int:
    """Send again the builds of jobs still queued EXPORT_REQUEUE_AFTER_SECONDS after they were asked for
    (beat, every few minutes): their task never reached a worker, because the broker was down when they were
    asked for or lost its data since. A job sent twice is still built once: the claim lets one task through,
    and each copy sent here expires before the next round sends another. Returns how many were sent."""
    now = now or timezone.now()
    patience = datetime.timedelta(seconds=settings.EXPORT_REQUEUE_AFTER_SECONDS)
    waiting = list(
        ExportJob.objects.filter(status=ExportStatus.QUEUED, created_at__lte=now - patience)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    sent = sum(_send_build(job_id, expires=settings.EXPORT_REQUEUE_SECONDS) for job_id in waiting)
    if waiting:
        logger.warning("Sent %d of %d waiting export jobs to the task queue again.", sent, len(waiting))
    return sent


def export_jobs_purge_expired(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of packs past their expiry; the job rows stay as a record. Returns how many."""
    now = now or timezone.now()
    storage = _storage()
    purged = 0
    for job in ExportJob.objects.expired(now).only("pk", "file").iterator():
        storage.delete(job.file.name)
        purged += ExportJob.objects.filter(pk=job.pk, file=job.file.name).update(file="")
    _fail_abandoned(now)
    _remove_stale_temporary_folders(now)
    return purged


def _fail_abandoned(now: datetime.datetime) -> None:
    """Running jobs not heard from for longer than the broker waits before redelivering: nobody will finish them."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    cutoff = now - datetime.timedelta(seconds=visibility + SILENT_BEATS * _heartbeat_seconds())
    abandoned = ExportJob.objects.silent_since(cutoff).update(
        status=ExportStatus.FAILED,
        stage="",
        finished_at=now,
        error=_("The worker building this pack stopped before finishing and the pack was not resumed. Retry it."),
    )
    if abandoned:
        logger.warning("Marked %s abandoned export jobs as failed.", abandoned)


def _remove_stale_temporary_folders(now: datetime.datetime) -> None:
    """Temporary folders of builds on this machine that no retry came back for, after a day."""
    cutoff = now.timestamp() - 24 * 3600
    for folder in Path(tempfile.gettempdir()).glob(f"{_machine_prefix()}*"):
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:
            continue


# The shell ------------------------------------------------------------------------------------------


def export_pack_write(
    *,
    consultation: Consultation,
    output: Path,
    format: str = ExportFormat.ZIP,
    include_attachments: bool = True,
    filters: dict | None = None,
) -> BuiltPack:
    """Build a pack straight to a file, for manage.py export_pack; the file appears only when whole."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    # Built beside the output so that the final move is a rename on the same disk.
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".export-pack-") as workdir:
        source = PackSource(consultation=consultation, filters=filters or {})
        built = build_pack(
            source,
            fmt=ExportFormat(format),
            include_attachments=include_attachments and format == ExportFormat.ZIP,
            workdir=Path(workdir),
        )
        os.replace(built.path, output)
    return BuiltPack(path=output, sha256=built.sha256, size=built.size, counts=built.counts)
