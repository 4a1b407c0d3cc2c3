"""The deadline scan: who is reminded of which deadline, claimed once, one e-mail per recipient.

A scan works in three steps, and never holds a transaction open while it talks to the mail server:
1. plan: for each consultation whose deadline has not passed, each recipient and the offsets (days
   before) that have fallen due; only the most recent one is sent, older ones that were missed (an
   outage, a recipient added late) are recorded as skipped;
2. claim: insert one ReminderLog row per reminder; the unique constraint on (consultation, recipient,
   offset, deadline) lets exactly one scan insert it, however many run at once;
3. deliver: the rows this scan claimed, grouped by recipient, one e-mail each. A failed send marks its
   rows failed and hands them to a Celery task that retries with backoff.
"""

import datetime
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from smtplib import SMTPException

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consultations.models import Consultation, Invitation, parse_day_offsets
from notifications.emails import send_email
from reminders.models import (
    RecipientRole,
    ReminderLog,
    ReminderPreference,
    ReminderStatus,
    SkipReason,
    contact_key,
    user_key,
)
from reminders.schedule import deadline_zone, due_offsets, reminder_due_at
from responses.models import Response, ResponseStatus, ReviewDecision, ReviewRequest
from stakeholders.models import Contact

logger = logging.getLogger(__name__)

# What a failed send raises: the mail server refused or could not be reached.
DELIVERY_ERRORS = (SMTPException, OSError)
UNSUBSCRIBE_SALT = "reminders.unsubscribe"


@dataclass
class PlannedReminder:
    """One reminder a scan would claim: the most recent due offset for one recipient and consultation."""

    consultation: Consultation
    recipient_key: str
    offset: int
    due_at: datetime.datetime
    roles: list[str]
    user_id: int | None = None
    contact_id: int | None = None
    email: str = ""
    label: str = ""
    # Set when the reminder is recorded as skipped instead of sent (opted out, no address).
    skip_reason: str = ""
    # Older offsets also due, missed: (offset, due at).
    missed: list[tuple[int, datetime.datetime]] = field(default_factory=list)


@dataclass
class ScanResult:
    """What a scan did, counted in reminders (one per consultation, recipient and offset)."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"sent {self.sent}, skipped {self.skipped}, failed {self.failed}"


@dataclass
class Delivery:
    sent: int = 0
    skipped: int = 0


# --- Planning ---------------------------------------------------------------------------------


def _offsets_or_none(text: str) -> list[int] | None:
    """Offsets from stored text; None for text that does not parse (a row written around the form)."""
    try:
        return parse_day_offsets(text) or None
    except ValidationError:
        return None


def consultation_offsets(consultation: Consultation) -> list[int]:
    """The consultation's reminder days; the default ones if its stored text does not parse."""
    try:
        return consultation.reminder_offset_days()
    except ValidationError:
        return list(settings.REMINDER_OFFSETS)


def _team_roles(consultation_ids: list[int]) -> dict[tuple[int, int], set[str]]:
    """(consultation id, user id) -> why that user is reminded, in a fixed number of queries."""
    roles: dict[tuple[int, int], set[str]] = defaultdict(set)

    def add(pairs: Iterable[tuple[int, int | None]], role: str) -> None:
        for consultation_id, user_id in pairs:
            if user_id is not None:
                roles[(consultation_id, user_id)].add(role)

    owners = Consultation.owners.through.objects.filter(consultation_id__in=consultation_ids)
    add(owners.values_list("consultation_id", "user_id"), RecipientRole.OWNER)
    watchers = Consultation.watchers.through.objects.filter(consultation_id__in=consultation_ids)
    add(watchers.values_list("consultation_id", "user_id"), RecipientRole.WATCHING)
    drafts = Response.objects.not_submitted().filter(consultation_id__in=consultation_ids)
    add(drafts.values_list("consultation_id", "owner_id"), RecipientRole.DRAFTING)
    reviewers = Response.reviewers.through.objects.filter(response__in=drafts)
    add(reviewers.values_list("response__consultation_id", "user_id"), RecipientRole.REVIEWING)
    # Reviews still owed on drafts in review: not yet decided on the version as it stands (as
    # ReviewRequest.objects.waiting_for says for one user).
    owed = ReviewRequest.objects.filter(response__in=drafts, response__status=ResponseStatus.IN_REVIEW).exclude(
        decision__in=[ReviewDecision.APPROVED, ReviewDecision.CHANGES_REQUESTED],
        for_version=models.F("response__version"),
    )
    add(owed.values_list("response__consultation_id", "reviewer_id"), RecipientRole.REVIEW_DUE)
    return roles


def _invited_contacts(consultation_ids: list[int]) -> dict[int, list[Contact]]:
    """Consultation id -> contacts of invited organisations that have not responded (opted out or not)."""
    invitations = (
        Invitation.objects.filter(consultation_id__in=consultation_ids)
        .with_responded()
        .filter(responded=False)
        .values_list("consultation_id", "organisation_id")
    )
    organisations: dict[int, list[int]] = defaultdict(list)
    for consultation_id, organisation_id in invitations:
        organisations[organisation_id].append(consultation_id)
    contacts: dict[int, list[Contact]] = defaultdict(list)
    for contact in Contact.objects.filter(organisation_id__in=organisations).select_related("organisation"):
        for consultation_id in organisations[contact.organisation_id]:
            contacts[consultation_id].append(contact)
    return contacts


def _plan_one(
    consultation: Consultation, offsets: list[int], now: datetime.datetime, **fields: object
) -> PlannedReminder | None:
    zone = deadline_zone(consultation.time_zone)
    due = due_offsets(deadline=consultation.deadline, zone=zone, offsets=offsets, now=now)
    if not due:
        return None
    latest, *older = due
    return PlannedReminder(
        consultation=consultation,
        offset=latest,
        due_at=reminder_due_at(deadline=consultation.deadline, zone=zone, offset=latest),
        missed=[(day, reminder_due_at(deadline=consultation.deadline, zone=zone, offset=day)) for day in older],
        **fields,
    )


def reminder_plan(*, now: datetime.datetime) -> list[PlannedReminder]:
    """Every reminder due at `now`, whether or not it was already sent (the claim decides that)."""
    user_offsets = {
        user_id: days
        for user_id, text in ReminderPreference.objects.exclude(offsets="").values_list("user_id", "offsets")
        if (days := _offsets_or_none(text))
    }
    anyones_offsets = {day for days in user_offsets.values() for day in days}
    consultations: dict[int, Consultation] = {}
    for consultation in Consultation.objects.filter(deadline__gt=now).only(
        "pk", "slug", "title", "deadline", "time_zone", "reminder_offsets", "remind_invited_contacts"
    ):
        # Only consultations for which someone's offset has come need their recipients looked up.
        offsets = set(consultation_offsets(consultation)) | anyones_offsets
        zone = deadline_zone(consultation.time_zone)
        if due_offsets(deadline=consultation.deadline, zone=zone, offsets=list(offsets), now=now):
            consultations[consultation.pk] = consultation
    if not consultations:
        return []

    plan: list[PlannedReminder] = []
    roles = _team_roles(list(consultations))
    users = {user.pk: user for user in User.objects.filter(pk__in={uid for _, uid in roles}, is_active=True)}
    for (consultation_id, user_id), user_roles in sorted(roles.items()):
        user = users.get(user_id)
        if user is None:
            continue
        consultation = consultations[consultation_id]
        planned = _plan_one(
            consultation,
            user_offsets.get(user_id) or consultation_offsets(consultation),
            now,
            recipient_key=user_key(user_id),
            user_id=user_id,
            email=user.email,
            label=user.email or user.get_username(),
            roles=sorted(user_roles, key=list(RecipientRole).index),
            skip_reason="" if user.email else SkipReason.NO_EMAIL,
        )
        if planned:
            plan.append(planned)

    external = [pk for pk, consultation in consultations.items() if consultation.remind_invited_contacts]
    for consultation_id, contacts in sorted(_invited_contacts(external).items()):
        consultation = consultations[consultation_id]
        for contact in contacts:
            reason = SkipReason.NO_EMAIL if not contact.email else SkipReason.OPTED_OUT if contact.opted_out else ""
            planned = _plan_one(
                consultation,
                consultation_offsets(consultation),
                now,
                recipient_key=contact_key(contact.pk),
                contact_id=contact.pk,
                email=contact.email,
                label=contact.email or contact.name,
                roles=[RecipientRole.INVITED],
                skip_reason=reason,
            )
            if planned:
                plan.append(planned)
    return plan


# --- Claiming ---------------------------------------------------------------------------------


def _log_rows(planned: PlannedReminder, scan_id: uuid.UUID) -> list[ReminderLog]:
    common = {
        "consultation": planned.consultation,
        "recipient_key": planned.recipient_key,
        "user_id": planned.user_id,
        "contact_id": planned.contact_id,
        "email": planned.email,
        "deadline": planned.consultation.deadline,
        "roles": [str(role) for role in planned.roles],
        "scan_id": scan_id,
    }
    rows = [
        ReminderLog(
            **common,
            offset=planned.offset,
            due_at=planned.due_at,
            status=ReminderStatus.SKIPPED if planned.skip_reason else ReminderStatus.PENDING,
            reason=planned.skip_reason,
        )
    ]
    rows += [
        ReminderLog(**common, offset=day, due_at=due_at, status=ReminderStatus.SKIPPED, reason=SkipReason.SUPERSEDED)
        for day, due_at in planned.missed
    ]
    return rows


def _already_logged(plan: list[PlannedReminder]) -> set[tuple[int, str, int, datetime.datetime]]:
    consultation_ids = {planned.consultation.pk for planned in plan}
    deadlines = {planned.consultation.deadline for planned in plan}
    # Rows of earlier deadlines (before an extension) are left out: they cannot match.
    logged = ReminderLog.objects.filter(consultation_id__in=consultation_ids, deadline__in=deadlines)
    return set(logged.values_list("consultation_id", "recipient_key", "offset", "deadline"))


def _key(row: ReminderLog) -> tuple[int, str, int, datetime.datetime]:
    return (row.consultation_id, row.recipient_key, row.offset, row.deadline)


def reminders_claim(*, plan: list[PlannedReminder], scan_id: uuid.UUID) -> list[ReminderLog]:
    """Insert the plan's rows that no scan inserted yet; return those this scan inserted (its claim).

    Rows already logged are left out first, so a scan with nothing new writes nothing; the unique
    constraint settles a race with another scan (ON CONFLICT DO NOTHING), and the rows carrying this
    scan's id are the ones it won. Autocommit: the claim is committed before anything is sent.
    """
    logged = _already_logged(plan)
    rows = [row for planned in plan for row in _log_rows(planned, scan_id) if _key(row) not in logged]
    if rows:
        ReminderLog.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return list(ReminderLog.objects.filter(scan_id=scan_id).order_by("recipient_key", "consultation_id", "offset"))


# --- Delivering -------------------------------------------------------------------------------


def unsubscribe_token(contact: Contact) -> str:
    return signing.dumps({"contact": contact.pk}, salt=UNSUBSCRIBE_SALT)


def contact_from_unsubscribe_token(token: str) -> Contact | None:
    """The contact a signed unsubscribe token names, or None for a forged or mangled one."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    contact_id = data.get("contact") if isinstance(data, dict) else None
    return Contact.objects.filter(pk=contact_id).first() if isinstance(contact_id, int) else None


def unsubscribe_url(contact: Contact) -> str:
    return settings.SITE_URL + reverse("reminders:unsubscribe", args=[unsubscribe_token(contact)])


def contact_unsubscribe(*, contact: Contact) -> bool:
    """Opt the contact out of all e-mail at once. True when this changed anything."""
    return bool(Contact.objects.filter(pk=contact.pk, opted_out=False).update(opted_out=True))


def _take(log_ids: list[int]) -> list[int]:
    """Mark the rows this delivery may send as sending, in a short transaction of their own.

    SKIP LOCKED: a row another delivery is taking right now is left to it.
    """
    with transaction.atomic():
        taken = list(
            ReminderLog.objects.select_for_update(skip_locked=True)
            .filter(pk__in=log_ids)
            .takeable()
            .values_list("pk", flat=True)
        )
        if taken:
            ReminderLog.objects.filter(pk__in=taken).update(
                status=ReminderStatus.SENDING, attempts=models.F("attempts") + 1, updated_at=timezone.now()
            )
    return taken


def _skip_reason(row: ReminderLog, now: datetime.datetime) -> str:
    """Why a taken row must not be sent after all, looked at just before sending."""
    if row.consultation.deadline != row.deadline:
        return SkipReason.DEADLINE_CHANGED
    if row.consultation.deadline <= now:
        return SkipReason.DEADLINE_PASSED
    if row.is_external:
        if row.contact is None or not row.contact.email:
            return SkipReason.NO_EMAIL
        if row.contact.opted_out:
            return SkipReason.OPTED_OUT
    else:
        if row.user is None or not row.user.email:
            return SkipReason.NO_EMAIL
        if not row.user.is_active:
            return SkipReason.INACTIVE
    newer = ReminderLog.objects.filter(
        consultation_id=row.consultation_id,
        recipient_key=row.recipient_key,
        deadline=row.deadline,
        offset__lt=row.offset,
        status__in=[ReminderStatus.SENDING, ReminderStatus.SENT],
    )
    if newer.exists():
        return SkipReason.SUPERSEDED
    return ""


def _item(row: ReminderLog, now: datetime.datetime) -> dict:
    consultation = row.consultation
    return {
        "consultation": consultation,
        "url": settings.SITE_URL + consultation.get_absolute_url(),
        "issuer_url": consultation.url if consultation.url.lower().startswith(("http://", "https://")) else "",
        "deadline": consultation.deadline,
        "time_zone": consultation.time_zone,
        "days_left": consultation.days_left(now),
        "offset": row.offset,
        "roles": row.role_labels(),
        "deadline_changed": ReminderLog.objects.filter(
            consultation_id=row.consultation_id, recipient_key=row.recipient_key, status=ReminderStatus.SENT
        )
        .exclude(deadline=row.deadline)
        .exists(),
    }


def _send(rows: list[ReminderLog], now: datetime.datetime) -> str:
    """Send one e-mail listing every row (all to one recipient); returns the address. Raises on failure."""
    items = sorted((_item(row, now) for row in rows), key=lambda item: (item["deadline"], item["consultation"].pk))
    first = rows[0]
    if first.is_external:
        contact = first.contact
        link = unsubscribe_url(contact)
        send_email(
            "reminder_invited",
            {"contact": contact, "organisation": contact.organisation, "items": items, "unsubscribe_url": link},
            to=[contact.email],
            headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        )
        return contact.email
    user = first.user
    send_email(
        "reminder_team",
        {
            "user": user,
            "items": items,
            "user_zone": user.time_zone,
            "settings_url": settings.SITE_URL + reverse("reminders:calendar-settings"),
        },
        to=[user.email],
        language=user.language or None,
    )
    return user.email


def reminder_deliver(*, log_ids: list[int], now: datetime.datetime | None = None) -> Delivery:
    """Send the claimed rows `log_ids` (one recipient's) in one e-mail, unless sent already.

    Safe to call again with the same rows (a retry, a redelivered task): a row already sent, or being
    sent by someone else, is not taken. Raises the mail error after marking the rows failed.
    """
    now = now or timezone.now()
    taken = _take(log_ids)
    if not taken:
        return Delivery()
    rows = list(
        ReminderLog.objects.filter(pk__in=taken).select_related("consultation__issuer", "user", "contact__organisation")
    )
    sendable: list[ReminderLog] = []
    skipped: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        reason = _skip_reason(row, now)
        if reason:
            skipped[reason].append(row.pk)
        else:
            sendable.append(row)
    for reason, ids in skipped.items():
        ReminderLog.objects.filter(pk__in=ids).update(
            status=ReminderStatus.SKIPPED, reason=reason, updated_at=timezone.now()
        )
    delivery = Delivery(skipped=sum(len(ids) for ids in skipped.values()))
    if not sendable:
        return delivery
    ids = [row.pk for row in sendable]
    try:
        address = _send(sendable, now)
    except Exception as exc:
        ReminderLog.objects.filter(pk__in=ids).update(
            status=ReminderStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], updated_at=timezone.now()
        )
        raise
    ReminderLog.objects.filter(pk__in=ids).update(
        status=ReminderStatus.SENT, email=address, error="", sent_at=timezone.now(), updated_at=timezone.now()
    )
    delivery.sent = len(ids)
    return delivery


def reminders_queue_retry(*, log_ids: list[int]) -> None:
    """Hand failed rows to the retrying task. Without a broker (tasks run eagerly) or when it cannot be
    reached, they stay failed, and a later scan tries them again (ReminderLogQuerySet.left_behind)."""
    from reminders import tasks

    if settings.CELERY_TASK_ALWAYS_EAGER:
        # An eager retry would run at once, against the server that just refused.
        return
    try:
        tasks.send_reminder_email.apply_async(args=[log_ids], countdown=tasks.FIRST_RETRY_SECONDS)
    except Exception:
        logger.exception("Could not queue the retry of reminders %s", log_ids)


# --- The scan ---------------------------------------------------------------------------------


def _describe(planned: PlannedReminder) -> str:
    what = f"{planned.label}: {planned.consultation.title} ({planned.offset} days before)"
    return f"skip {what}, {SkipReason(planned.skip_reason).label}" if planned.skip_reason else f"send {what}"


def _dry_run(plan: list[PlannedReminder]) -> ScanResult:
    """What a scan would claim now, written nowhere."""
    result = ScanResult()
    logged = _already_logged(plan)
    for planned in plan:
        for row in _log_rows(planned, uuid.uuid4()):
            if _key(row) in logged:
                continue
            if row.status == ReminderStatus.SKIPPED:
                result.skipped += 1
            else:
                result.sent += 1
        if (
            planned.consultation.pk,
            planned.recipient_key,
            planned.offset,
            planned.consultation.deadline,
        ) not in logged:
            result.lines.append(_describe(planned))
    return result


def reminders_scan(*, now: datetime.datetime | None = None, dry_run: bool = False) -> ScanResult:
    """One scan: plan, claim and deliver every reminder due at `now` (default: the present)."""
    now = now or timezone.now()
    plan = reminder_plan(now=now)
    if dry_run:
        return _dry_run(plan)
    scan_id = uuid.uuid4()
    claimed = reminders_claim(plan=plan, scan_id=scan_id)
    result = ScanResult(skipped=sum(1 for row in claimed if row.status == ReminderStatus.SKIPPED))
    to_send = [row for row in claimed if row.status == ReminderStatus.PENDING]
    # Rows an earlier scan claimed but never sent (it stopped half-way), or whose retries ran out or were
    # lost, go out with this scan's (delivery skips those a more recent reminder has replaced).
    to_send += list(ReminderLog.objects.left_behind().filter(deadline__gt=now).exclude(scan_id=scan_id))
    by_recipient: dict[str, list[int]] = defaultdict(list)
    for row in to_send:
        by_recipient[row.recipient_key].append(row.pk)
    for recipient_key, log_ids in by_recipient.items():
        try:
            delivery = reminder_deliver(log_ids=log_ids, now=now)
        except Exception as exc:
            # One recipient's failure must not stop the others' reminders.
            statuses = list(ReminderLog.objects.filter(pk__in=log_ids).values_list("status", flat=True))
            result.failed += statuses.count(ReminderStatus.FAILED)
            result.skipped += statuses.count(ReminderStatus.SKIPPED)
            result.lines.append(f"failed {recipient_key}: {exc}")
            if isinstance(exc, DELIVERY_ERRORS):
                logger.warning("Reminder e-mail to %s failed, will retry: %s", recipient_key, exc)
                reminders_queue_retry(log_ids=log_ids)
            else:
                logger.exception("Reminder e-mail to %s could not be made", recipient_key)
            continue
        result.sent += delivery.sent
        result.skipped += delivery.skipped
        if delivery.sent:
            result.lines.append(f"sent {delivery.sent} to {recipient_key}")
    return result
