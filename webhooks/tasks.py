"""Background delivery of webhooks. Thin: the work is in webhooks.services."""

import logging

from celery import shared_task

from webhooks import services

logger = logging.getLogger(__name__)


@shared_task(name="webhooks.deliver", bind=True, acks_late=True, max_retries=None, ignore_result=False)
def deliver(self, delivery_id: int) -> str:
    """Post one delivery; on failure, schedule the next attempt after the pause the service chose.

    The number of attempts is counted on the delivery row (not by Celery), so a task redelivered
    after a worker died does not get extra attempts.
    """
    # Run eagerly (no broker, `make run`), a retry would block the web request: one attempt only,
    # and a failed delivery is offered for retry on its page.
    attempt = services.delivery_attempt(delivery_id=delivery_id, may_retry=not self.request.is_eager)
    if attempt.outcome == services.RETRY:
        raise self.retry(countdown=attempt.countdown)
    return attempt.outcome


@shared_task(name="webhooks.requeue_overdue", ignore_result=True)
def requeue_overdue() -> int:
    return services.deliveries_requeue_overdue()
