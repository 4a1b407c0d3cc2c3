"""Telling users things: in the app at once, and by e-mail from a task queued after commit.

Any app calls `notify()`; this app does not know what the notification is about. An e-mail is
rendered by the worker from the template name and the JSON context stored on the notification,
so the task needs only the notification's id.
"""

import datetime
import logging
import zoneinfo
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.functional import Promise, lazy

from notifications.emails import send_email
from notifications.models import EmailMute, EmailStatus, Notification

logger = logging.getLogger(__name__)

# A worker that claimed an e-mail and then vanished (killed mid-send) lets another try after this.
CLAIM_TIMEOUT = datetime.timedelta(minutes=10)


def _percent(message: str | Promise, params: Mapping[str, Any]) -> str:
    return str(message) % params


def worded(message: str | Promise, /, **params: Any) -> Promise:
    """`message % params`, put into words only when notify() writes each recipient's notification, so in
    their language. `message` comes from gettext_lazy; a param may be lazy too (another worded() message,
    a choice's label), and is then worded in the same language."""
    return lazy(_percent, str)(message, params)


def notify(
    *,
    recipients: Iterable,
    kind: str,
    title: str | Promise,
    body: str | Promise = "",
    url: str = "",
    email_template: str = "",
    email_context: Mapping[str, Any] | None = None,
    actor=None,
) -> list[Notification]:
    """Notify each recipient once (never the actor), and queue an e-mail for those who have not muted `kind`.

    `email_template` names templates/emails/<name>_subject.txt, .txt and .html; `email_context` may hold
    strings, numbers, dates and datetimes (datetimes are shown in each recipient's time zone). A lazy `title`
    or `body` (gettext_lazy, worded()) is put into words in each recipient's language.
    """
    people = {}
    for user in recipients:
        if user is None or not user.is_active or (actor is not None and user.pk == actor.pk):
            continue
        people[user.pk] = user
    if not people:
        return []
    muted = set(EmailMute.objects.filter(user_id__in=people, kind=kind).values_list("user_id", flat=True))
    context = _encode(dict(email_context or {}))
    notifications = []
    for user in people.values():
        if not email_template or not user.email:
            email_status = EmailStatus.NONE
        elif user.pk in muted:
            email_status = EmailStatus.MUTED
        else:
            email_status = EmailStatus.PENDING
        with translation.override(user.language or settings.LANGUAGE_CODE):
            title_text, body_text = str(title)[:255], str(body)
        notifications.append(
            Notification(
                recipient=user,
                kind=kind,
                title=title_text,
                body=body_text,
                url=url[:500],
                email_template=email_template if email_status == EmailStatus.PENDING else "",
                email_context=context if email_status == EmailStatus.PENDING else {},
                email_status=email_status,
            )
        )
    created = Notification.objects.bulk_create(notifications)
    for notification in created:
        if notification.email_status == EmailStatus.PENDING:
            _queue_delivery(notification.pk)
    return created


def _queue_delivery(notification_id: int) -> None:
    from notifications.tasks import deliver

    # After commit, so the worker finds the row; robust, so a broker outage never undoes the work
    # that notified (the e-mail stays pending and visible as such).
    transaction.on_commit(partial(deliver.delay, notification_id), robust=True)


def notification_deliver_email(*, notification_id: int) -> str:
    """Send the e-mail of one notification, at most once. Returns what happened.

    Claims the e-mail with a conditional UPDATE first (no transaction is held while talking to the
    SMTP server); an SMTP error releases the claim and is raised for the task to retry.
    """
    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, email_status=EmailStatus.PENDING)
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(email_claimed_at=now, email_attempts=F("email_attempts") + 1)
    )
    if not claimed:
        return "skipped"
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    recipient = notification.recipient
    if not recipient.is_active or not recipient.email:
        Notification.objects.filter(pk=notification_id).update(email_status=EmailStatus.NONE, email_claimed_at=None)
        return "no-address"
    if EmailMute.objects.filter(user=recipient, kind=notification.kind).exists():
        # Muted after the notification was made: respect the latest wish.
        Notification.objects.filter(pk=notification_id).update(email_status=EmailStatus.MUTED, email_claimed_at=None)
        return "muted"
    context = {
        **_decode(notification.email_context),
        "recipient_name": recipient.get_full_name() or recipient.get_username(),
        "title": notification.title,
        "body": notification.body,
        "url": f"{settings.SITE_URL}{notification.url}" if notification.url.startswith("/") else notification.url,
    }
    try:
        with timezone.override(_zone_of(recipient)):
            send_email(notification.email_template, context, to=[recipient.email], language=recipient.language or None)
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(email_claimed_at=None, email_error=str(exc)[:1000])
        raise
    Notification.objects.filter(pk=notification_id).update(
        email_status=EmailStatus.SENT, email_sent_at=timezone.now(), email_error=""
    )
    return "sent"


def notification_fail_email(*, notification_id: int, error: str) -> None:
    """Give up on an e-mail after the last retry; the in-app notification stays."""
    Notification.objects.filter(pk=notification_id, email_status=EmailStatus.PENDING).update(
        email_status=EmailStatus.FAILED, email_claimed_at=None, email_error=error[:1000]
    )


def notification_mark_read(*, user, notification_id: int) -> Notification | None:
    """Mark one of the user's notifications read; None when it is not theirs."""
    notification = Notification.objects.for_user(user).filter(pk=notification_id).first()
    if notification is not None and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.for_user(user).mark_read()


@transaction.atomic
def email_mutes_set(*, user, muted_kinds: Iterable[str]) -> None:
    """Make exactly `muted_kinds` the kinds for which `user` gets no e-mail."""
    muted_kinds = set(muted_kinds)
    EmailMute.objects.filter(user=user).exclude(kind__in=muted_kinds).delete()
    existing = set(EmailMute.objects.filter(user=user).values_list("kind", flat=True))
    EmailMute.objects.bulk_create([EmailMute(user=user, kind=kind) for kind in sorted(muted_kinds - existing)])


def _zone_of(user) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _encode(value: Any) -> Any:
    """Make a context JSON-safe, keeping dates and datetimes recognisable for _decode."""
    if isinstance(value, datetime.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"__date__": value.isoformat()}
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__datetime__"}:
            return datetime.datetime.fromisoformat(value["__datetime__"])
        if set(value) == {"__date__"}:
            return datetime.date.fromisoformat(value["__date__"])
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value
