"""A real Celery worker killed with SIGKILL in the middle of a build.

Given a pack being built by a worker (slowed down between batches by a test-only setting), when the
worker is killed with SIGKILL, then storage holds no file, whole or partial; and when a worker starts
again, Redis redelivers the unacknowledged task (acks_late), the new worker finds the job silent,
takes it over, removes the dead worker's temporary files and finishes the pack.
"""

import hashlib
import os
import signal
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from config.celery import app
from exports.models import ExportFormat, ExportJob, ExportStatus
from exports.services import export_job_request
from tests.factories import ResponseFactory, make_pack_data
from tests.helpers import child_env, worker_database_url
from tests.private_services import celery_worker, terminate, wait_for

# Redis hands an unacknowledged task to a worker again after this many seconds (test value).
VISIBILITY_TIMEOUT = 4
# A worker beats every second, so it counts as dead after three silent seconds (test value).
HEARTBEAT_SECONDS = 1


def clear_broker() -> None:
    """Forget tasks left in this run's Redis database by earlier tests, queued or unacknowledged."""
    app.control.purge()
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("unacked", "unacked_index", "unacked_mutex")


def job_state(job: ExportJob) -> ExportJob:
    job.refresh_from_db()
    return job


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_build_leaves_no_file_and_the_redelivered_task_finishes_the_pack(
    settings, tmp_path, admin_user
):
    media, temp, log = tmp_path / "media", tmp_path / "tmp", tmp_path / "worker.log"
    temp.mkdir()
    settings.MEDIA_ROOT = media
    data = make_pack_data()
    for _ in range(16):
        ResponseFactory(consultation=data["consultation"])
    clear_broker()
    env = child_env(
        DEBUG="false",
        SECRET_KEY="test-secret-key-for-the-export-worker-0123456789abcdefghijklmnop",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=worker_database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        MEDIA_ROOT=str(media),
        TMPDIR=str(temp),
        EXPORT_BATCH_SIZE="1",
        EXPORT_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
        # Test-only: a pause after each batch of one response, so the kill lands mid-build.
        EXPORT_BATCH_DELAY_MS="300",
    )

    worker = celery_worker(env, log, f"export-test-{uuid.uuid4().hex[:8]}")
    try:
        job = export_job_request(
            consultation=data["consultation"],
            filters={},
            format=ExportFormat.CSV,
            include_attachments=False,
            requested_by=admin_user,
        )
        wait_for(lambda: job_state(job).progress_done > 0, timeout=60, what="the build to start", log=log)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        terminate(worker)
    killed_at = timezone.now()

    job.refresh_from_db()
    assert job.status == ExportStatus.RUNNING
    assert 0 < job.progress_done < job.progress_total
    assert not (media / "exports").exists(), "nothing, whole or partial, reaches storage before the pack is whole"
    # The dead worker's half-written pack is only in its temporary folder.
    leftovers = [p for p in temp.glob("consultrack-pack-*") if p.is_dir()]
    assert len(leftovers) == 1 and (leftovers[0] / "responses.csv").exists()

    # Redis redelivers only after the visibility timeout, and the job must look dead (silent 3 beats).
    while (timezone.now() - killed_at).total_seconds() < VISIBILITY_TIMEOUT + 0.5:
        time.sleep(0.2)
    worker = celery_worker({**env, "EXPORT_BATCH_DELAY_MS": "0"}, log, f"export-test-{uuid.uuid4().hex[:8]}")
    try:
        wait_for(
            lambda: job_state(job).status in (ExportStatus.DONE, ExportStatus.FAILED),
            timeout=60,
            what="the redelivered task to finish the pack",
            log=log,
        )
    finally:
        terminate(worker)

    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, job.error
    assert job.attempts == 2
    stored = sorted(p for p in (media / "exports").rglob("*") if p.is_file())
    assert stored == [media / job.file.name]
    content = stored[0].read_bytes()
    assert hashlib.sha256(content).hexdigest() == job.checksum
    assert content.decode("utf-8-sig").count("\n") == 1 + 20  # the header and every response
    assert not list(temp.glob("consultrack-pack-*")), "the retry removed the dead worker's temporary folder"
