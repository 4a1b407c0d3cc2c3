from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)

    def mark_read(self) -> int:
        return self.unread().update(read_at=timezone.now())

    def for_user(self, user) -> "NotificationQuerySet":
        return self.filter(recipient=user)


class EmailStatus(models.TextChoices):
    NONE = "none", _("No e-mail")
    MUTED = "muted", _("Muted by the recipient")
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Could not be sent")


class Notification(models.Model):
    """Something a user should know, shown in the app. Knows nothing of what it is about
    beyond a title, a text and a link, so that any app may send one."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # The e-mail that goes with it: rendered by the worker from these, so a task only needs the id.
    email_template = models.CharField(_("e-mail template"), max_length=100, blank=True)
    email_context = models.JSONField(_("e-mail context"), default=dict, blank=True)
    email_status = models.CharField(
        _("e-mail"), max_length=16, choices=EmailStatus.choices, default=EmailStatus.NONE, db_index=True
    )
    # A worker claims the e-mail before sending it, so that two deliveries of one task send once.
    email_claimed_at = models.DateTimeField(_("e-mail claimed"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("e-mail sent"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    email_error = models.TextField(_("e-mail error"), blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.title} → {self.recipient}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class EmailMute(models.Model):
    """A user does not want e-mail for one kind of notification (they still see it in the app)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="email_mutes"
    )
    kind = models.CharField(_("kind"), max_length=50)

    class Meta:
        ordering = ["user", "kind"]
        verbose_name = _("muted e-mail")
        verbose_name_plural = _("muted e-mails")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="email_mute_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}"
