import datetime
import json
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from webhooks.events import label_for

# Only these schemes are ever posted to; anything else (file:, ftp:, javascript:) is refused on save.
SCHEMES = ("http", "https")
validate_webhook_url = URLValidator(
    schemes=list(SCHEMES), message=_("Enter an http:// or https:// address; other kinds of address are refused.")
)


class Webhook(models.Model):
    """An address outside Consultrack that is told of chosen events, each delivery signed with its secret."""

    name = models.CharField(_("name"), max_length=200, help_text=_("Who or what receives it, e.g. “Intranet CRM”."))
    url = models.URLField(_("URL"), max_length=500, validators=[validate_webhook_url])
    events = models.JSONField(_("events"), default=list)
    # Kept as it is: signing needs it. It is shown to the admin once, when made or replaced.
    secret = models.CharField(_("secret"), max_length=100, editable=False)
    active = models.BooleanField(_("active"), default=True, help_text=_("Inactive webhooks are sent nothing."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    secret_rotated_at = models.DateTimeField(_("secret made"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("webhooks:webhook-detail", args=[self.pk])

    def clean(self) -> None:
        if not self.events:
            raise ValidationError({"events": _("Choose at least one event.")}, code="required")

    def event_labels(self) -> list[str]:
        return [label_for(key) for key in self.events]

    def subscribes_to(self, event: str) -> bool:
        return self.active and event in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Failed, will be retried")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed, given up")


# A delivery still waiting this long after it was due is queued again by the beat task.
OVERDUE_AFTER = datetime.timedelta(minutes=10)


class WebhookDeliveryQuerySet(models.QuerySet):
    def takeable(self, now: datetime.datetime | None = None) -> "WebhookDeliveryQuerySet":
        """Deliveries a worker may claim: waiting, to be retried, or stuck "sending" past the lease
        (the worker died mid-request)."""
        now = now or timezone.now()
        lease = datetime.timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT_SECONDS + 30)
        return self.filter(
            models.Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING])
            | models.Q(status=DeliveryStatus.SENDING, last_attempt_at__lt=now - lease)
        )

    def overdue(self, now: datetime.datetime | None = None) -> "WebhookDeliveryQuerySet":
        """Deliveries whose task should have run a while ago: waiting, due for a retry, or left "sending" by a
        worker that died (the queued task was lost, for instance with a broker restarted without its data)."""
        now = now or timezone.now()
        patience = now - OVERDUE_AFTER
        return self.filter(
            models.Q(status=DeliveryStatus.PENDING, created_at__lt=patience, attempts=0)
            | models.Q(status=DeliveryStatus.RETRYING, next_attempt_at__lt=patience)
            | models.Q(status=DeliveryStatus.SENDING, last_attempt_at__lt=patience)
        )

    def failed(self) -> "WebhookDeliveryQuerySet":
        return self.filter(status=DeliveryStatus.FAILED)


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one webhook, with the outcome of its last attempt."""

    uuid = models.UUIDField(_("delivery ID"), default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(Webhook, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=64)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response_excerpt = models.TextField(_("response"), blank=True, help_text=_("The start of the receiver's answer."))
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["webhook", "created_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook}"

    @property
    def event_label(self) -> str:
        return label_for(self.event)

    @property
    def payload_json(self) -> str:
        return json.dumps(self.payload, indent=2, sort_keys=True, ensure_ascii=False)

    @property
    def may_retry(self) -> bool:
        return self.status == DeliveryStatus.FAILED
