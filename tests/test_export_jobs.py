"""Export jobs: queued after commit, built once, safe to run again, cancelled, retried, purged."""

import datetime
import hashlib
import tempfile
import zipfile

import pytest
from django.utils import timezone

from exports import services
from exports.models import ExportFormat, ExportJob, ExportStatus
from exports.pack import PackError
from exports.services import (
    MAX_ATTEMPTS,
    JobProgress,
    export_job_build,
    export_job_cancel,
    export_job_request,
    export_job_retry,
    export_jobs_purge_expired,
)
from exports.tasks import build_pack_task, purge_expired_packs
from tests.factories import make_pack_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def workspace(settings, tmp_path, monkeypatch):
    """Storage and temporary files in this test's own folders."""
    settings.MEDIA_ROOT = tmp_path / "media"
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return {"media": tmp_path / "media", "temp": temp}


@pytest.fixture
def data(workspace):
    return make_pack_data()


@pytest.fixture
def queued(monkeypatch):
    """Builds the tests asked for, instead of sending them to the broker."""
    sent: list[int] = []
    monkeypatch.setattr(build_pack_task, "apply_async", lambda args, **options: sent.append(*args))
    return sent


def new_job(data, admin_user, fmt=ExportFormat.CSV, **fields) -> ExportJob:
    return ExportJob.objects.create(
        consultation=data["consultation"], format=fmt, requested_by=admin_user, include_attachments=True, **fields
    )


def stored_files(workspace) -> list[str]:
    root = workspace["media"] / "exports"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_request_queues_the_build_only_after_commit(data, admin_user, queued, django_capture_on_commit_callbacks):
    """The job row exists before the task is sent, so a fast worker always finds it."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = export_job_request(
            consultation=data["consultation"],
            filters={"kind": ["ngo"]},
            format="zip",
            include_attachments=True,
            requested_by=admin_user,
        )
        assert queued == []
    assert job.status == ExportStatus.QUEUED
    assert job.filters == {"kind": ["ngo"]}
    assert len(callbacks) == 1
    callbacks[0]()
    assert queued == [job.pk]


def test_only_a_zip_pack_keeps_attachments(data, admin_user, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = export_job_request(
            consultation=data["consultation"], filters={}, format="pdf", include_attachments=True, requested_by=None
        )
    assert job.include_attachments is False


def test_build_stores_the_whole_pack_and_marks_the_job_done(data, admin_user, workspace):
    """Given a queued job, when the worker builds it, then storage holds the pack with its checksum."""
    job = new_job(data, admin_user, fmt=ExportFormat.ZIP)

    export_job_build(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    assert job.attempts == 1
    assert job.error == ""
    today = timezone.localdate(job.finished_at).isoformat()
    assert job.file.name == f"exports/{job.pk}/protection-des-mineurs-pack-{today}.zip"
    content = job.file.read()
    assert hashlib.sha256(content).hexdigest() == job.checksum
    assert len(content) == job.file_size
    assert job.progress_total > 0 and job.progress_done == job.progress_total
    assert job.expires_at == job.finished_at + datetime.timedelta(days=7)
    with zipfile.ZipFile(job.file.path) as archive:
        assert "manifest.json" in archive.namelist()
    assert list(workspace["temp"].iterdir()) == []


def test_a_done_job_is_not_built_again(data, admin_user, workspace):
    """A redelivered task for a finished job changes nothing."""
    job = new_job(data, admin_user)
    export_job_build(job_id=job.pk)
    job.refresh_from_db()
    first = (job.file.name, job.checksum, job.finished_at)

    export_job_build(job_id=job.pk)

    job.refresh_from_db()
    assert (job.file.name, job.checksum, job.finished_at) == first
    assert job.attempts == 1
    assert stored_files(workspace) == [first[0].removeprefix("exports/")]


def test_a_running_job_whose_worker_is_alive_is_left_alone(data, admin_user, workspace):
    """A second delivery while the first worker still beats does not start a second build."""
    job = new_job(data, admin_user, status=ExportStatus.RUNNING, attempts=1, heartbeat_at=timezone.now())

    export_job_build(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.RUNNING
    assert job.attempts == 1
    assert stored_files(workspace) == []


def test_a_silent_running_job_is_taken_over_and_what_the_dead_worker_left_is_removed(data, admin_user, workspace):
    """Given a job whose worker died mid-build, the next delivery cleans up and builds it whole."""
    job = new_job(
        data,
        admin_user,
        status=ExportStatus.RUNNING,
        attempts=1,
        heartbeat_at=timezone.now() - datetime.timedelta(hours=1),
        progress_total=10,
        progress_done=4,
    )
    leftover = workspace["temp"] / f"{services._machine_prefix()}{job.pk}-1-abc"
    leftover.mkdir()
    (leftover / "responses.csv").write_text("half a fi")
    half_saved = workspace["media"] / "exports" / str(job.pk) / "half-saved.csv"
    half_saved.parent.mkdir(parents=True)
    half_saved.write_text("half")

    export_job_build(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    assert job.attempts == 2
    assert not leftover.exists()
    assert stored_files(workspace) == [job.file.name.removeprefix("exports/")]
    assert list(workspace["temp"].iterdir()) == []


def test_a_job_whose_worker_kept_dying_fails_with_a_reason(data, admin_user, workspace):
    """After MAX_ATTEMPTS interrupted builds the job fails instead of looping forever."""
    job = new_job(
        data,
        admin_user,
        status=ExportStatus.RUNNING,
        attempts=MAX_ATTEMPTS,
        heartbeat_at=timezone.now() - datetime.timedelta(hours=1),
    )
    leftover = workspace["temp"] / f"{services._machine_prefix()}{job.pk}-{MAX_ATTEMPTS}-abc"
    leftover.mkdir()

    export_job_build(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert f"stopped {MAX_ATTEMPTS} times" in job.error
    assert not leftover.exists()
    assert stored_files(workspace) == []


def test_an_unexpected_error_fails_the_job_with_a_reason_and_keeps_no_file(data, admin_user, workspace, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "build_pack", explode)
    job = new_job(data, admin_user)

    export_job_build(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert "unexpected error (RuntimeError)" in job.error
    assert "disk on fire" not in job.error  # details go to the log, not to the page
    assert stored_files(workspace) == []
    assert list(workspace["temp"].iterdir()) == []


def test_a_missing_attachment_fails_the_job_naming_the_file(data, admin_user, workspace):
    attachment = data["attachments"][3]
    attachment.file.storage.delete(attachment.file.name)
    job = new_job(data, admin_user, fmt=ExportFormat.ZIP)

    export_job_build(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert "iwf-response.docx" in job.error
    assert "Internet Watch Foundation" in job.error


def test_progress_is_saved_between_batches(data, admin_user, workspace, settings, monkeypatch):
    """With batches of one response, the page sees the count climb item by item."""
    settings.EXPORT_BATCH_SIZE = 1
    saved: list[tuple[int, int]] = []
    original = JobProgress.save

    def recording_save(self):
        saved.append((self.done, self.total))
        original(self)

    monkeypatch.setattr(JobProgress, "save", recording_save)
    job = new_job(data, admin_user)

    export_job_build(job_id=job.pk)

    totals = {total for _done, total in saved}
    assert totals == {5}  # 4 responses and the finishing step
    steps = [done for done, _total in saved]
    assert steps == sorted(steps)
    assert {1, 2, 3, 4, 5} <= set(steps)


def test_cancelling_a_running_build_stops_it_and_keeps_nothing(data, admin_user, workspace, settings, monkeypatch):
    """Cancelled after its first batch, the build stops at the next one and stores no file."""
    settings.EXPORT_BATCH_SIZE = 1
    job = new_job(data, admin_user, fmt=ExportFormat.XLSX)
    original = JobProgress.checkpoint

    def cancel_then_checkpoint(self):
        if self.done == 2:
            export_job_cancel(job=job)
        original(self)

    monkeypatch.setattr(JobProgress, "checkpoint", cancel_then_checkpoint)

    export_job_build(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.CANCELLED
    assert job.progress_done < job.progress_total
    assert stored_files(workspace) == []
    assert list(workspace["temp"].iterdir()) == []


def test_a_queued_job_cancelled_before_a_worker_takes_it_is_never_built(data, admin_user, workspace):
    job = new_job(data, admin_user)
    assert export_job_cancel(job=job) is True
    export_job_build(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.CANCELLED
    assert job.attempts == 0


def test_a_finished_job_cannot_be_cancelled(data, admin_user, workspace):
    job = new_job(data, admin_user, status=ExportStatus.DONE)
    assert export_job_cancel(job=job) is False
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE


def test_retry_queues_a_failed_job_again_from_the_start(
    data, admin_user, queued, workspace, django_capture_on_commit_callbacks
):
    job = new_job(data, admin_user, status=ExportStatus.FAILED, error="Boom.", progress_total=9, progress_done=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert export_job_retry(job=job) is True
    job.refresh_from_db()
    assert (job.status, job.error, job.progress_done, job.progress_total) == (ExportStatus.QUEUED, "", 0, 0)
    assert queued == [job.pk]

    export_job_build(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE


def test_only_failed_or_cancelled_jobs_are_retried(data, admin_user, queued, django_capture_on_commit_callbacks):
    for status in [ExportStatus.QUEUED, ExportStatus.RUNNING, ExportStatus.DONE]:
        job = new_job(data, admin_user, status=status)
        with django_capture_on_commit_callbacks(execute=True):
            assert export_job_retry(job=job) is False
    assert queued == []


def test_purge_deletes_expired_files_and_keeps_the_rows(data, admin_user, workspace):
    """A pack past its expiry loses its file; a fresh pack keeps it."""
    old, fresh = new_job(data, admin_user), new_job(data, admin_user)
    for job in (old, fresh):
        export_job_build(job_id=job.pk)
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    old.refresh_from_db()
    old_path = old.file.path

    assert purge_expired_packs() == 1

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.file.name == "" and old.status == ExportStatus.DONE
    assert old.is_expired and not old.is_downloadable
    assert not (workspace["media"] / old_path).exists()
    assert fresh.is_downloadable
    assert stored_files(workspace) == [fresh.file.name.removeprefix("exports/")]


def test_purge_fails_jobs_that_no_worker_will_finish(data, admin_user, workspace):
    """A running job silent for longer than the broker's redelivery wait is marked failed."""
    long_ago = timezone.now() - datetime.timedelta(hours=3)
    abandoned = new_job(data, admin_user, status=ExportStatus.RUNNING, attempts=1, heartbeat_at=long_ago)
    alive = new_job(data, admin_user, status=ExportStatus.RUNNING, attempts=1, heartbeat_at=timezone.now())

    export_jobs_purge_expired()

    abandoned.refresh_from_db()
    alive.refresh_from_db()
    assert abandoned.status == ExportStatus.FAILED
    assert "Retry it" in abandoned.error
    assert alive.status == ExportStatus.RUNNING


def test_tasks_are_named_and_acknowledged_late(settings):
    """The build task is acknowledged only once finished, so a dead worker's task is redelivered."""
    assert build_pack_task.name == "exports.build_pack"
    assert build_pack_task.acks_late is True
    assert build_pack_task.reject_on_worker_lost is True
    assert purge_expired_packs.name == "exports.purge_expired_packs"
    entry = settings.CELERY_BEAT_SCHEDULE["exports-purge-expired-packs"]
    assert entry["task"] == "exports.purge_expired_packs"
    assert settings.EXPORT_RETENTION_DAYS == 7


def test_the_task_builds_the_job_it_is_given(data, admin_user, workspace):
    job = new_job(data, admin_user)
    build_pack_task.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE


def test_pack_errors_read_as_sentences():
    """The reasons shown on the page are written for people."""
    assert services._reason(PackError("The file is missing.")) == "The file is missing."
    assert "out of memory" in services._reason(MemoryError())
    disk_full = OSError(28, "No space left on device")
    assert "disk space" in services._reason(disk_full)
