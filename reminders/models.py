"""Deadline reminders: the log that makes each one go out exactly once, and each user's own settings."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations.models import Consultation, parse_day_offsets, validate_day_offsets
from stakeholders.models import Contact

# A row left "sending" this long was being sent by a worker that died: another attempt may take it.
SENDING_LEASE = datetime.timedelta(minutes=10)
# A row left "claimed" this long was claimed by a scan that died before sending: the next scan sends it.
CLAIM_PATIENCE = datetime.timedelta(minutes=5)
# A row failed this long ago whose retry task is not heard of (no broker, a long outage outlasting the
# task's retries) is tried again by the next scan, up to MAX_ATTEMPTS in all, until its deadline.
RETRY_PATIENCE = datetime.timedelta(minutes=15)
MAX_ATTEMPTS = 24


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


def contact_key(contact_id: int) -> str:
    return f"contact:{contact_id}"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("Claimed")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class SkipReason(models.TextChoices):
    SUPERSEDED = "superseded", _("A more recent reminder was due (missed while no scan ran)")
    OPTED_OUT = "opted_out", _("The contact opted out of e-mail")
    NO_EMAIL = "no_email", _("No e-mail address")
    INACTIVE = "inactive", _("The account is inactive")
    DEADLINE_CHANGED = "deadline_changed", _("The deadline changed before it was sent")
    DEADLINE_PASSED = "deadline_passed", _("The deadline passed before it could be sent")


class RecipientRole(models.TextChoices):
    """Why a team member is reminded of a consultation."""

    OWNER = "owner", _("you own the consultation")
    DRAFTING = "drafting", _("you own a response not yet submitted")
    REVIEWING = "reviewing", _("you review a response not yet submitted")
    REVIEW_DUE = "review_due", _("a review is due from you")
    WATCHING = "watching", _("you watch the consultation")
    INVITED = "invited", _("your organisation was invited to respond")


class ReminderLogQuerySet(models.QuerySet):
    def takeable(self, now: datetime.datetime | None = None) -> "ReminderLogQuerySet":
        """Rows a delivery may take: claimed, failed (a retry), or stuck "sending" past the lease."""
        now = now or timezone.now()
        return self.filter(
            models.Q(status__in=[ReminderStatus.PENDING, ReminderStatus.FAILED])
            | models.Q(status=ReminderStatus.SENDING, updated_at__lt=now - SENDING_LEASE)
        )

    def left_behind(self, now: datetime.datetime | None = None) -> "ReminderLogQuerySet":
        """Rows a scan should send again: claimed by a scan that stopped before sending them, or failed
        a while ago with attempts to spare."""
        now = now or timezone.now()
        return self.filter(
            models.Q(status=ReminderStatus.PENDING, created_at__lt=now - CLAIM_PATIENCE)
            | models.Q(status=ReminderStatus.FAILED, updated_at__lt=now - RETRY_PATIENCE, attempts__lt=MAX_ATTEMPTS)
        )

    def for_users(self) -> "ReminderLogQuerySet":
        return self.filter(recipient_key__startswith="user:")

    def for_contacts(self) -> "ReminderLogQuerySet":
        return self.filter(recipient_key__startswith="contact:")


class ReminderLog(models.Model):
    """One reminder of one deadline to one recipient at one offset, claimed before it is sent.

    The unique constraint is the claim: whichever scan inserts the row first sends it, however many
    scans run at once. The deadline is part of the key, so an extended deadline is reminded afresh.
    """

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="reminder_logs"
    )
    # "user:<id>" or "contact:<id>": one column for the constraint, whichever kind the recipient is.
    recipient_key = models.CharField(_("recipient key"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reminder_logs",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reminder_logs",
    )
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("The address it went to."))
    offset = models.PositiveSmallIntegerField(_("days before"))
    deadline = models.DateTimeField(_("deadline"))
    due_at = models.DateTimeField(_("due from"))
    roles = models.JSONField(_("why"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ReminderStatus.choices, default=ReminderStatus.PENDING, db_index=True
    )
    reason = models.CharField(_("reason"), max_length=32, choices=SkipReason.choices, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    scan_id = models.UUIDField(_("scan"), db_index=True)
    created_at = models.DateTimeField(_("claimed"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = ReminderLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "recipient_key", "offset", "deadline"],
                name="reminderlog_once_per_recipient_offset_deadline",
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.consultation} → {self.recipient_label} ({self.offset})"

    @property
    def recipient_label(self) -> str:
        person = self.user or self.contact
        return str(person) if person is not None else self.email or self.recipient_key

    @property
    def is_external(self) -> bool:
        return self.recipient_key.startswith("contact:")

    def role_labels(self) -> list[str]:
        labels = dict(RecipientRole.choices)
        return [str(labels[role]) for role in self.roles if role in labels]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ReminderPreference(models.Model):
    """A user's own reminder days and the secret of their calendar feed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="reminder_preference"
    )
    offsets = models.CharField(
        _("my reminder days"),
        max_length=100,
        blank=True,
        validators=[validate_day_offsets],
        help_text=_(
            "Days before a deadline on which to remind you, e.g. 7, 1, 0. They replace each consultation's own. "
            "Blank: each consultation's days."
        ),
    )
    # Only a hash is kept: whoever reads the database cannot read anyone's calendar.
    calendar_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    calendar_token_created_at = models.DateTimeField(_("feed address made"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("reminder preference")
        verbose_name_plural = _("reminder preferences")

    def __str__(self) -> str:
        return str(self.user)

    def offset_days(self) -> list[int] | None:
        """The user's own days, largest first, or None when they follow each consultation's."""
        return parse_day_offsets(self.offsets) if self.offsets.strip() else None

    @property
    def has_calendar_feed(self) -> bool:
        return bool(self.calendar_token_hash)

    def regenerate_calendar_token(self) -> str:
        """A new feed secret; the old address stops working. Returns the secret, which is not kept."""
        token = secrets.token_urlsafe(32)
        self.calendar_token_hash = hash_token(token)
        self.calendar_token_created_at = timezone.now()
        self.save(update_fields=["calendar_token_hash", "calendar_token_created_at"])
        return token
