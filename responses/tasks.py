import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils.translation import gettext as _

from responses import services

logger = logging.getLogger(__name__)

# Worth another try: the storage or the database did not answer this time. A file that cannot be
# parsed is not among them; extraction records that as a failure at once.
TRANSIENT_ERRORS = (OSError, OperationalError, InterfaceError)
MAX_RETRIES = 4


# The PDF parser has its own cap (PDF_PARSE_TIMEOUT_SECONDS, in a child process); these bound the whole task.
@shared_task(
    name="responses.extract_attachment_text",
    bind=True,
    max_retries=MAX_RETRIES,
    acks_late=True,
    soft_time_limit=settings.PDF_PARSE_TIMEOUT_SECONDS + 60,
    time_limit=settings.PDF_PARSE_TIMEOUT_SECONDS + 90,
)
def extract_attachment_text(self, attachment_id: int) -> str | None:
    """Extract and store the text of one attachment. Idempotent: a done attachment is left alone."""
    try:
        status = services.attachment_extract_text(attachment_id=attachment_id)
    except SoftTimeLimitExceeded:
        logger.warning("Extracting attachment %s ran out of time", attachment_id)
        _record_failure(attachment_id, _("Reading the file took too long and was stopped."))
        return None
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            logger.warning("Giving up extracting attachment %s: %s", attachment_id, exc)
            _record_failure(
                attachment_id, _("The stored file could not be read (%(detail)s). Try again later.") % {"detail": exc}
            )
            return None
        # 10 s, 20 s, 40 s, 80 s: long enough for a storage or database blip to pass.
        raise self.retry(exc=exc, countdown=10 * 2**self.request.retries) from exc
    except Exception as exc:
        # A bug must not leave the page saying "extracting…" for ever: record it, then let it be seen.
        logger.exception("Extracting attachment %s failed", attachment_id)
        _record_failure(attachment_id, _("Extraction stopped on an unexpected error (%(detail)s).") % {"detail": exc})
        raise
    return status.value if status else None


def _record_failure(attachment_id: int, reason: str) -> None:
    try:
        services.attachment_fail_extraction(attachment_id=attachment_id, reason=reason)
    except DatabaseError:
        logger.exception("Could not record the extraction failure of attachment %s", attachment_id)


@shared_task(name="responses.recompute_campaigns", bind=True, max_retries=MAX_RETRIES, acks_late=True)
def recompute_campaigns(self, consultation_id: int) -> dict | None:
    """Find the campaigns of one consultation again. Idempotent: a second run on the same responses
    changes nothing; runs for one consultation take turns on its detection row."""
    from responses.campaigns import campaigns_recompute

    try:
        result = campaigns_recompute(consultation_id=consultation_id)
    except (OperationalError, InterfaceError) as exc:
        if self.request.retries >= self.max_retries:
            logger.warning("Giving up recomputing the campaigns of consultation %s: %s", consultation_id, exc)
            raise
        raise self.retry(exc=exc, countdown=10 * 2**self.request.retries) from exc
    return vars(result) if result else None


@shared_task(name="responses.email_saved_searches")
def email_saved_searches() -> str:
    """Send the daily e-mails of saved searches not sent today (beat runs this hourly; once a day each)."""
    from responses.saved_searches import saved_searches_email_due

    return saved_searches_email_due().summary()


@shared_task(name="responses.purge_deleted")
def purge_deleted() -> str:
    """Purge responses and files deleted more than DELETED_RETENTION_DAYS ago (beat runs this hourly).
    Idempotent and safe to overlap: each item is claimed before it is purged."""
    from responses.purge import deleted_items_purge

    return deleted_items_purge().summary()
