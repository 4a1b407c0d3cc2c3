"""Webhook workflows: register, replace a secret, emit an event, deliver it (in the worker), retry.

Higher apps call `webhook_emit` inside the transaction that made the event happen: the delivery
rows are written with it (and vanish if it rolls back), and the sending is queued only once it has
committed. Each delivery is claimed by a conditional UPDATE before anything is sent, so a task
delivered twice by the broker posts once.
"""

import datetime
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from webhooks import signing
from webhooks.models import DeliveryStatus, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 1000
USER_AGENT = "Consultrack-Webhooks/1"

# What delivery_attempt tells its task.
DELIVERED = "delivered"
RETRY = "retry"
FAILED = "failed"
SKIPPED = "skipped"


def webhook_create(*, name: str, url: str, events: list[str], created_by, active: bool = True) -> Webhook:
    """Register a webhook with a fresh secret (read it from the returned object: it is shown once)."""
    webhook = Webhook(name=name.strip(), url=url, events=sorted(set(events)), active=active, created_by=created_by)
    webhook.secret = signing.new_secret()
    webhook.full_clean()
    webhook.save()
    return webhook


def webhook_rotate_secret(*, webhook: Webhook) -> str:
    """Give the webhook a new secret; deliveries from now on are signed with it. Returns the new secret."""
    webhook.secret = signing.new_secret()
    webhook.secret_rotated_at = timezone.now()
    webhook.save(update_fields=["secret", "secret_rotated_at"])
    return webhook.secret


def webhook_emit(*, event: str, data: dict) -> list[WebhookDelivery]:
    """Record a delivery of `event` for every active webhook that subscribes to it, and queue each
    once the caller's transaction commits. `data` must be JSON-serialisable (dates are turned to ISO)."""
    webhooks = [webhook for webhook in Webhook.objects.filter(active=True) if event in webhook.events]
    if not webhooks:
        return []
    occurred_at = timezone.now()
    deliveries = []
    for webhook in webhooks:
        delivery = WebhookDelivery(webhook=webhook, event=event, payload={})
        delivery.payload = json.loads(
            json.dumps(
                {"id": str(delivery.uuid), "event": event, "occurred_at": occurred_at, "data": data},
                cls=DjangoJSONEncoder,
            )
        )
        deliveries.append(delivery)
    WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        _queue(delivery.pk)
    return deliveries


PING = "ping"


def webhook_ping(*, webhook: Webhook, by) -> WebhookDelivery:
    """Send the webhook a signed test delivery (event "ping"), whatever events it subscribes to."""
    with transaction.atomic():
        delivery = WebhookDelivery(webhook=webhook, event=PING, payload={})
        delivery.payload = json.loads(
            json.dumps(
                {
                    "id": str(delivery.uuid),
                    "event": PING,
                    "occurred_at": timezone.now(),
                    "data": {"webhook": {"id": webhook.pk, "name": webhook.name}, "sent_by": by.get_username()},
                },
                cls=DjangoJSONEncoder,
            )
        )
        delivery.save()
        _queue(delivery.pk)
    return delivery


def delivery_retry(*, delivery: WebhookDelivery) -> bool:
    """Send a delivery that was given up on again, from a fresh count of attempts. False if it was not failed."""
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=None, error=""
        )
        if updated:
            _queue(delivery.pk)
    return bool(updated)


def deliveries_requeue_overdue(*, now: datetime.datetime | None = None) -> int:
    """Queue again the deliveries whose task was lost (beat, every few minutes). A delivery queued twice is
    still posted once: the claim in delivery_attempt lets one task through."""
    overdue = list(WebhookDelivery.objects.overdue(now).values_list("pk", flat=True)[:500])
    for delivery_id in overdue:
        _queue(delivery_id)
    if overdue:
        logger.warning("Queued %d overdue webhook deliveries again.", len(overdue))
    return len(overdue)


@dataclass(frozen=True)
class Attempt:
    outcome: str
    countdown: float = 0.0


def delivery_attempt(*, delivery_id: int, may_retry: bool = True) -> Attempt:
    """Post one delivery (the worker's side) and record how it went.

    A 2xx answer is success. Anything else (another status, a timeout, a refused connection) is
    tried again after an exponentially growing pause, WEBHOOK_MAX_ATTEMPTS times in all, then the
    delivery fails and an admin may send it again from its page. Returns what the task should do.
    """
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .takeable(now)
        .update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, last_attempt_at=now)
    )
    if not claimed:
        return Attempt(SKIPPED)
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    if not webhook.active:
        _finish(delivery, DeliveryStatus.FAILED, error="The webhook was deactivated before the delivery was sent.")
        return Attempt(FAILED)

    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 - the URL's scheme is validated as http(s) on save
        webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            signing.EVENT_HEADER: delivery.event,
            signing.DELIVERY_HEADER: str(delivery.uuid),
            signing.TIMESTAMP_HEADER: str(timestamp),
            signing.SIGNATURE_HEADER: signing.signature_header(webhook.secret, timestamp, body),
        },
    )
    status, excerpt, error = _post(request)
    if status is not None and 200 <= status < 300:
        _finish(delivery, DeliveryStatus.DELIVERED, http_status=status, excerpt=excerpt, delivered=True)
        return Attempt(DELIVERED)
    if error == "":
        error = f"The receiver answered HTTP {status}."
    if may_retry and delivery.attempts < settings.WEBHOOK_MAX_ATTEMPTS:
        countdown = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1)
        _finish(
            delivery,
            DeliveryStatus.RETRYING,
            http_status=status,
            excerpt=excerpt,
            error=error,
            next_attempt_at=timezone.now() + datetime.timedelta(seconds=countdown),
        )
        return Attempt(RETRY, countdown)
    logger.warning("Webhook delivery %s to %s failed for good: %s", delivery.pk, webhook.url, error)
    _finish(delivery, DeliveryStatus.FAILED, http_status=status, excerpt=excerpt, error=error)
    return Attempt(FAILED)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A receiver that redirects is answered as it answered: the signed body is not carried elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(request: urllib.request.Request) -> tuple[int | None, str, str]:
    """(HTTP status or None, start of the answer, error or "")."""
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as answer:
            return answer.status, _excerpt(answer.read(EXCERPT_CHARS * 4)), ""
    except urllib.error.HTTPError as exc:
        return exc.code, _excerpt(exc.read(EXCERPT_CHARS * 4)), ""
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, "", f"The receiver could not be reached: {reason}."


def _excerpt(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")[:EXCERPT_CHARS]


def _finish(
    delivery: WebhookDelivery,
    status: str,
    *,
    http_status: int | None = None,
    excerpt: str = "",
    error: str = "",
    delivered: bool = False,
    next_attempt_at: datetime.datetime | None = None,
) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=status,
        response_status=http_status,
        response_excerpt=excerpt,
        error=error,
        delivered_at=timezone.now() if delivered else None,
        next_attempt_at=next_attempt_at,
    )


def _queue(delivery_id: int) -> None:
    from webhooks.tasks import deliver  # the task module imports this one

    transaction.on_commit(lambda: deliver.delay(delivery_id), robust=True)
