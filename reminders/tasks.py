"""Background work for reminders: the scheduled scan, and the retry of e-mails the mail server refused."""

import datetime
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from reminders.services import reminder_deliver, reminders_scan

# The first retry of a refused e-mail waits this long; later ones back off exponentially (retry_backoff).
FIRST_RETRY_SECONDS = settings.REMINDER_RETRY_SECONDS
MAX_RETRIES = 8


@shared_task(name="reminders.scan")
def scan(now: str | None = None) -> str:
    """Run one scan (Celery beat queues this every REMINDER_SCAN_MINUTES); returns the summary line."""
    moment = datetime.datetime.fromisoformat(now) if now else None
    return reminders_scan(now=moment).summary()


@shared_task(
    name="reminders.send_reminder_email",
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=3600,
    max_retries=MAX_RETRIES,
)
def send_reminder_email(log_ids: list[int]) -> int:
    """Send the claimed reminders `log_ids` (one recipient's) in one e-mail; returns how many went out.

    Each attempt takes only rows not sent yet (reminder_deliver checks their status under a row lock),
    so a retry or a redelivered task never sends a reminder twice. A refusal marks the rows failed with
    the error and raises, and Celery retries with exponential backoff; after the last retry they stay
    failed, shown with their error on the history page.
    """
    return reminder_deliver(log_ids=log_ids).sent
