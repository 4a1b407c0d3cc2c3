import logging
import smtplib

from celery import shared_task

from notifications import services

logger = logging.getLogger(__name__)

# The mail server did not answer or refused for now: worth another try. (SMTPException is an OSError.)
SEND_ERRORS = (smtplib.SMTPException, OSError)
MAX_RETRIES = 5


@shared_task(name="notifications.deliver", bind=True, max_retries=MAX_RETRIES, acks_late=True)
def deliver(self, notification_id: int) -> str:
    """Send the e-mail of one notification. Idempotent: a sent, muted or missing one is left alone."""
    try:
        return services.notification_deliver_email(notification_id=notification_id)
    except SEND_ERRORS as exc:
        # Run eagerly (no broker, `make run`), there is no worker to try again later.
        if self.request.retries >= self.max_retries or self.request.is_eager:
            logger.warning("Giving up e-mailing notification %s: %s", notification_id, exc)
            services.notification_fail_email(notification_id=notification_id, error=str(exc))
            return "failed"
        # 30 s, 1 min, 2 min, 4 min, 8 min: a mail server restart or a greylisting passes meanwhile.
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
