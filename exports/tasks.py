"""Background work for response packs. Thin: the workflows are in exports.services."""

import logging

from celery import shared_task
from django.db import OperationalError

from exports.services import export_job_build, export_jobs_purge_expired, export_jobs_requeue_waiting

logger = logging.getLogger(__name__)


@shared_task(
    name="exports.build_pack",
    bind=True,
    # Acknowledged only once the build has ended, so that a worker dying mid-build hands the task
    # to another worker; export_job_build is idempotent and resumes or refuses safely.
    acks_late=True,
    reject_on_worker_lost=True,
    # The database being unreachable before the claim is worth a few tries; build errors are not
    # retried here, they fail the job with a reason the requester can act on.
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def build_pack_task(self, job_id: int) -> None:
    if self.request.delivery_info and self.request.delivery_info.get("redelivered"):
        logger.warning("Export job %s: task redelivered (a worker stopped while holding it).", job_id)
    export_job_build(job_id=job_id)


@shared_task(name="exports.purge_expired_packs", ignore_result=True)
def purge_expired_packs() -> int:
    return export_jobs_purge_expired()


@shared_task(name="exports.requeue_waiting", ignore_result=True)
def requeue_waiting() -> int:
    return export_jobs_requeue_waiting()
