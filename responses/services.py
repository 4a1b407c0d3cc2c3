"""Workflows on responses.

Received submissions: log one, attach files, code it, extract its text. Our own drafts: write and
save them (optimistic locking), restore a version, ask for a review, comment, decide, submit, reopen.

Views, tasks and imports call these; each is one transaction, and background work (extraction,
notification e-mails) is queued only once that transaction has committed, so a worker never looks
for a row that is not there yet. A step the workflow does not allow raises TransitionError, with a
message for the user, and changes nothing.
"""

import datetime
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise, lazy
from django.utils.text import Truncator, capfirst, format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consultations.models import Consultation
from notifications.services import notify, worded
from responses import matrix, rules
from responses.campaigns import campaigns_schedule_recompute
from responses.diffing import paragraphs
from responses.extraction import ExtractionResult, extract_text
from responses.models import (
    Answer,
    Attachment,
    Channel,
    Comment,
    EventKind,
    ExtractionStatus,
    Position,
    Response,
    ResponseEvent,
    ResponseStatus,
    ReviewDecision,
    ReviewRequest,
    Stance,
)
from responses.search import schedule_response_refresh
from responses.uploads import CheckedUpload, storage_name
from responses.versions import version_snapshot
from stakeholders.models import Organisation
from webhooks.services import webhook_emit

logger = logging.getLogger(__name__)


class DuplicateResponse(Exception):
    """The organisation already has a received response to this consultation."""

    def __init__(self, existing: Response) -> None:
        super().__init__(
            f"{existing.organisation} already responded to {existing.consultation} (response {existing.pk})"
        )
        self.existing = existing


class ConcurrentEdit(Exception):
    """Someone saved the response after this edit started; the edit is refused, not merged."""


class EditConflict(ConcurrentEdit):
    """A draft was saved by someone else since this edit started; `current` is the response as it is now."""

    def __init__(self, current: Response) -> None:
        super().__init__(
            _("Someone else saved this response while you were editing it. Reload the page to see their changes.")
        )
        self.current = current


class TransitionError(Exception):
    """A step the review workflow does not allow (or not to this user); nothing was changed."""


@dataclass(frozen=True)
class NewOrganisation:
    """An organisation to create together with its first logged response."""

    name: str
    kind: str
    country: str = ""


@dataclass(frozen=True)
class PositionInput:
    stance: str
    summary: str = ""
    quote: str = ""


def first_received_response(*, organisation: Organisation, consultation: Consultation) -> Response | None:
    """The response this organisation already sent to this consultation, if any."""
    return (
        Response.objects.received()
        .from_organisation_to(organisation=organisation, consultation=consultation)
        .order_by("created_at", "pk")
        .first()
    )


def organisation_create(*, new: NewOrganisation) -> Organisation:
    """Create an organisation with a slug made unique from its name."""
    return Organisation.objects.create(
        name=new.name.strip(),
        slug=Organisation.unique_slug_for(new.name),
        kind=new.kind,
        country=new.country,
    )


@transaction.atomic
def response_log_received(
    *,
    consultation: Consultation,
    organisation: Organisation | NewOrganisation,
    channel: str,
    received_on: datetime.date | None,
    summary: str = "",
    files: Iterable[CheckedUpload] = (),
    logged_by,
    answers: Mapping[int, str] | None = None,
    positions: Mapping[int, PositionInput] | None = None,
    allow_duplicate: bool = False,
) -> Response:
    """Log a submission received from `organisation`, store its files and queue their text extraction.

    A second received response from the same organisation to the same consultation raises
    DuplicateResponse unless `allow_duplicate`. `answers` and `positions` are keyed by question and
    topic id, which must belong to `consultation`.
    """
    if isinstance(organisation, NewOrganisation):
        organisation = organisation_create(new=organisation)
    elif not allow_duplicate:
        # Lock the organisation so two people logging its letter at once cannot both pass the check.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        existing = first_received_response(organisation=organisation, consultation=consultation)
        if existing is not None:
            raise DuplicateResponse(existing)
    response = Response.objects.create(
        consultation=consultation,
        organisation=organisation,
        status=ResponseStatus.RECEIVED,
        channel=channel,
        received_on=received_on,
        summary=summary,
        owner=logged_by,
    )
    _store_attachments(response=response, files=files, uploaded_by=logged_by)
    _apply_coding(response=response, answers=answers or {}, positions=positions or {})
    campaigns_schedule_recompute(consultation_id=consultation.pk)
    return response


@transaction.atomic
def response_attach_files(*, response: Response, files: Iterable[CheckedUpload], uploaded_by) -> list[Attachment]:
    """Add files to an existing response and queue their text extraction."""
    if response.is_locked:
        raise TransitionError(_("This response was submitted and is locked. Only an admin can reopen it."))
    return _store_attachments(response=response, files=files, uploaded_by=uploaded_by)


@transaction.atomic
def response_update_details(
    *, response: Response, expected_version: int, channel: str, received_on: datetime.date | None, summary: str
) -> Response:
    """Change how and when a submission came in, refusing the change if someone saved in between."""
    locked = _lock_at_version(response, expected_version)
    locked.channel = channel
    locked.received_on = received_on
    locked.summary = summary
    locked.version += 1
    locked.save(update_fields=["channel", "received_on", "summary", "version", "updated_at"])
    campaigns_schedule_recompute(consultation_id=locked.consultation_id)
    return locked


@transaction.atomic
def response_code(
    *,
    response: Response,
    expected_version: int,
    answers: Mapping[int, str],
    positions: Mapping[int, PositionInput | None],
) -> Response:
    """Save the answers and positions coded from a response; an empty answer or stance removes it."""
    locked = _lock_at_version(response, expected_version)
    if locked.is_locked:
        raise TransitionError(_("This response was submitted and is locked. Only an admin can reopen it."))
    if locked.in_workflow:
        # Our drafts change through draft_save, which makes a version, an audit event and re-review.
        raise TransitionError(_("Our own responses are edited on their edit page, where every save is a version."))
    _apply_coding(response=locked, answers=answers, positions=positions)
    locked.version += 1
    locked.save(update_fields=["version", "updated_at"])
    campaigns_schedule_recompute(consultation_id=locked.consultation_id)
    return locked


def attachment_retry_extraction(*, attachment: Attachment) -> bool:
    """Queue the text extraction of a failed (or lost) attachment again; False when there is nothing to retry."""
    if not attachment.may_retry_extraction:
        return False
    with transaction.atomic():
        # Conditional on the status read above, so two clicks queue one extraction.
        updated = Attachment.objects.filter(pk=attachment.pk, extraction_status=attachment.extraction_status).update(
            extraction_status=ExtractionStatus.PENDING,
            extraction_error="",
            extracted_text="",
            extracted_at=None,
            extraction_queued_at=timezone.now(),
        )
        if updated:
            _queue_extraction(attachment.pk)
            # The text it had is gone from the attachment until extracted again: and from search.
            schedule_response_refresh([attachment.response_id])
    return bool(updated)


def attachment_extract_text(*, attachment_id: int) -> ExtractionStatus | None:
    """Read a stored attachment and record its text; does nothing unless the attachment awaits extraction.

    Reading the file may raise OSError (storage unreachable): that is left to the caller to retry.
    The result is written only if the attachment is still pending, so a duplicate delivery of the
    task, or a retry that races another, records one result.
    """
    # Deleted files are read too: restored, they come back with their text.
    attachment = Attachment.all_objects.filter(pk=attachment_id).first()
    if attachment is None or attachment.extraction_status != ExtractionStatus.PENDING:
        return None
    with attachment.file.open("rb") as stored:
        data = stored.read()
    result = extract_text(data, attachment.content_type)
    if attachment_record_extraction(attachment_id=attachment_id, result=result) and result.text:
        # The text of the file now counts in the response's likeness to others.
        consultation_id = Response.all_objects.values_list("consultation_id", flat=True).get(pk=attachment.response_id)
        campaigns_schedule_recompute(consultation_id=consultation_id)
    return result.status


def attachment_record_extraction(*, attachment_id: int, result: ExtractionResult) -> bool:
    """Store an extraction result on a pending attachment; False when it was no longer pending.

    The response's search vector then takes in the extracted text (after commit)."""
    recorded = Attachment.all_objects.filter(pk=attachment_id, extraction_status=ExtractionStatus.PENDING).update(
        extraction_status=result.status,
        extracted_text=result.text,
        extraction_error=result.error,
        extracted_at=timezone.now(),
    )
    if recorded:
        schedule_response_refresh(Attachment.all_objects.filter(pk=attachment_id).values_list("response_id", flat=True))
    return bool(recorded)


def attachment_fail_extraction(*, attachment_id: int, reason: str) -> bool:
    return attachment_record_extraction(
        attachment_id=attachment_id, result=ExtractionResult(ExtractionStatus.FAILED, error=reason)
    )


def _store_attachments(*, response: Response, files: Iterable[CheckedUpload], uploaded_by) -> list[Attachment]:
    attachments = []
    for upload in files:
        attachment = Attachment(
            response=response,
            original_name=upload.name[:255],
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
            uploaded_by=uploaded_by,
            extraction_queued_at=timezone.now(),
        )
        upload.file.seek(0)
        # The storage writes the uploaded bytes as they are. It never sees the sender's file name (kept in
        # original_name, used for downloads): a random name with the extension of the checked type.
        attachment.file.save(storage_name(upload), upload.file, save=False)
        attachment.save()
        _queue_extraction(attachment.pk)
        attachments.append(attachment)
    return attachments


def _queue_extraction(attachment_id: int) -> None:
    from responses.tasks import extract_attachment_text

    # robust: the response is saved whatever happens to the queueing; an attachment whose task was
    # lost stays pending and is offered for retry (Attachment.extraction_stuck).
    transaction.on_commit(lambda: extract_attachment_text.delay(attachment_id), robust=True)


def _lock_at_version(response: Response, expected_version: int) -> Response:
    locked = Response.objects.select_for_update().get(pk=response.pk)
    if locked.version != expected_version:
        raise ConcurrentEdit(
            _("Someone else saved this response while you were editing it. Reload the page to see their changes.")
        )
    return locked


def _apply_coding(
    *, response: Response, answers: Mapping[int, str], positions: Mapping[int, PositionInput | None]
) -> None:
    question_ids = set(response.consultation.questions.values_list("pk", flat=True))
    topic_ids = set(response.consultation.topics.values_list("pk", flat=True))
    if set(answers) - question_ids or set(positions) - topic_ids:
        raise ValueError("Answers and positions must be on questions and topics of the response's consultation.")

    existing_answers = {answer.question_id: answer for answer in response.answers.all()}
    for question_id, text in answers.items():
        text = text.strip()
        answer = existing_answers.get(question_id)
        if not text:
            if answer is not None:
                answer.delete()
        elif answer is None:
            Answer.objects.create(response=response, question_id=question_id, text=text)
        elif answer.text != text:
            answer.text = text
            answer.save(update_fields=["text"])

    existing_positions = {position.topic_id: position for position in response.positions.all()}
    for topic_id, coded in positions.items():
        position = existing_positions.get(topic_id)
        if coded is None or not coded.stance:
            if position is not None:
                position.delete()
            continue
        if coded.stance not in Stance.values:
            raise ValueError(f"Unknown stance {coded.stance!r}")
        if position is None:
            Position.objects.create(
                response=response, topic_id=topic_id, stance=coded.stance, summary=coded.summary, quote=coded.quote
            )
        elif (position.stance, position.summary, position.quote) != (coded.stance, coded.summary, coded.quote):
            position.stance, position.summary, position.quote = coded.stance, coded.summary, coded.quote
            position.save(update_fields=["stance", "summary", "quote"])


# --- Deletion and restore ---------------------------------------------------------------------
#
# Nothing is lost at once: a deleted response or file leaves every page, search, matrix, export and API
# answer (their default managers hide it), and waits in the deleted items, from which an admin restores it,
# until the retention purge (responses.purge) removes it DELETED_RETENTION_DAYS later. Each step is an
# audit event naming who, and on deletion why.


def response_label(response: Response) -> str:
    """How the audit trail names a response, in words that outlive it."""
    return Truncator(f"{response.organisation.name} — {response.consultation.title}").chars(500)


def attachment_label(attachment: Attachment) -> str:
    return Truncator(
        _("%(file)s, of %(response)s")
        % {"file": attachment.original_name, "response": response_label(attachment.response)}
    ).chars(500)


def _reason_required(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Say why it is deleted: the reason is recorded in the audit trail."))
    return reason


def _deleted_or_restored(response: Response) -> None:
    """What counts or groups responses must see the change: the matrix, campaigns and the search vector."""
    consultation_id = response.consultation_id
    matrix.forget(consultation_id)  # an UPDATE sends no signal
    # Again once committed: a matrix read between the two would have cached the counts from before.
    transaction.on_commit(lambda: matrix.forget(consultation_id))
    campaigns_schedule_recompute(consultation_id=consultation_id)
    schedule_response_refresh([response.pk])


def response_delete(*, response: Response, by, reason: str) -> Response:
    """Move a response to the deleted items, with the reason; it leaves its campaign (recomputed on restore)."""
    reason = _reason_required(reason)
    current = Response.all_objects.select_related("consultation", "organisation").get(pk=response.pk)
    if refusal := rules.refusal_to_delete(by, current):
        raise TransitionError(refusal)
    with transaction.atomic():
        now = timezone.now()
        # Conditional on not being deleted yet, so that two deletions record one event.
        if not Response.all_objects.filter(pk=current.pk, deleted_at__isnull=True).update(
            deleted_at=now, deleted_by=by, campaign=None
        ):
            raise TransitionError(_("This response is already deleted."))
        current.deleted_at, current.deleted_by, current.campaign_id = now, by, None
        _event(current, by, EventKind.DELETED, note=reason, subject=response_label(current))
        _deleted_or_restored(current)
    return current


def response_restore(*, response: Response, by) -> Response:
    """Bring a deleted response back wherever it was shown (admins only)."""
    if refusal := rules.refusal_to_restore(by):
        raise TransitionError(refusal)
    current = Response.all_objects.select_related("consultation", "organisation").get(pk=response.pk)
    with transaction.atomic():
        if not Response.all_objects.filter(pk=current.pk, deleted_at__isnull=False).update(
            deleted_at=None, deleted_by=None
        ):
            raise TransitionError(_("This response is not deleted."))
        current.deleted_at = current.deleted_by = None
        _event(current, by, EventKind.UNDELETED, subject=response_label(current))
        _deleted_or_restored(current)
    return current


def attachment_delete(*, attachment: Attachment, by, reason: str) -> Attachment:
    """Move a file to the deleted items, with the reason; its text leaves search and campaign detection."""
    reason = _reason_required(reason)
    current = Attachment.all_objects.select_related("response__consultation", "response__organisation").get(
        pk=attachment.pk
    )
    if refusal := rules.refusal_to_delete_attachment(by, current):
        raise TransitionError(refusal)
    with transaction.atomic():
        now = timezone.now()
        if not Attachment.all_objects.filter(pk=current.pk, deleted_at__isnull=True).update(
            deleted_at=now, deleted_by=by
        ):
            raise TransitionError(_("This file is already deleted."))
        current.deleted_at, current.deleted_by = now, by
        _attachment_event(current, by, EventKind.ATTACHMENT_DELETED, note=reason)
    return current


def attachment_restore(*, attachment: Attachment, by) -> Attachment:
    """Bring a deleted file back on its response (admins only)."""
    if refusal := rules.refusal_to_restore(by):
        raise TransitionError(refusal)
    current = Attachment.all_objects.select_related("response__consultation", "response__organisation").get(
        pk=attachment.pk
    )
    with transaction.atomic():
        if not Attachment.all_objects.filter(pk=current.pk, deleted_at__isnull=False).update(
            deleted_at=None, deleted_by=None
        ):
            raise TransitionError(_("This file is not deleted."))
        current.deleted_at = current.deleted_by = None
        _attachment_event(current, by, EventKind.ATTACHMENT_UNDELETED)
    return current


def _attachment_event(attachment: Attachment, by, kind: str, *, note: str = "") -> None:
    response = attachment.response
    _event(response, by, kind, note=note, subject=attachment_label(attachment), attachment=attachment)
    schedule_response_refresh([response.pk])
    campaigns_schedule_recompute(consultation_id=response.consultation_id)


# --- Our own drafts: the review workflow ------------------------------------------------------
#
#   draft -> in_review -> changes_requested -> in_review -> approved -> submitted
#
# Saving an approved draft sends it back to review (approvals count for the version approved only);
# an admin may reopen a submitted response, which makes it a draft again. Received submissions stay
# outside the workflow.

# A review is due this long before the consultation's deadline unless the requester says otherwise.
REVIEW_LEAD_TIME = datetime.timedelta(days=2)
MENTION = re.compile(r"(?<![\w@])@([\w.+-]+)")

# Notification kinds (registered with their labels in ResponsesConfig.ready).
KIND_REVIEW_REQUESTED = "review_requested"
KIND_COMMENT = "comment"
KIND_REPLY = "reply"
KIND_MENTION = "mention"
KIND_DECISION = "decision"
KIND_SUBMITTED = "submitted"
KIND_REOPENED = "reopened"

# Webhook events (registered with their labels in ResponsesConfig.ready).
EVENT_RESPONSE_SUBMITTED = "response.submitted"


def review_due_default(*, consultation: Consultation, now: datetime.datetime | None = None) -> datetime.datetime:
    """Two days before the deadline, but at least a day from now, and never after the deadline.
    A consultation already closed has no deadline to keep: two days from now."""
    now = now or timezone.now()
    deadline = consultation.deadline
    if deadline <= now:
        due = now + REVIEW_LEAD_TIME
    else:
        due = min(deadline, max(deadline - REVIEW_LEAD_TIME, now + datetime.timedelta(days=1)))
    return due.replace(second=0, microsecond=0)


def review_due_problem(
    *, consultation: Consultation, due_at: datetime.datetime, now: datetime.datetime | None = None
) -> str | None:
    """Why `due_at` cannot be a review's due date, or None."""
    now = now or timezone.now()
    if due_at <= now:
        return _("The review must be due in the future.")
    if consultation.deadline > now and due_at > consultation.deadline:
        return _("The review must be due by the consultation's deadline, %(deadline)s.") % {
            "deadline": date_format(timezone.localtime(consultation.deadline), "SHORT_DATETIME_FORMAT")
        }
    return None


def draft_create(
    *, consultation: Consultation, organisation: Organisation, by, summary: str = "", body: str = ""
) -> Response:
    """Start our own response to `consultation` on behalf of `organisation`, as a draft owned by `by`."""
    if not rules.is_editor(by):
        raise TransitionError(_("Only policy staff and admins draft responses."))
    with transaction.atomic():
        response = Response(
            consultation=consultation,
            organisation=organisation,
            status=ResponseStatus.DRAFT,
            owner=by,
            summary=summary.strip(),
            body=_normalise(body),
        )
        response._history_user = by
        response._change_reason = _("Created")
        response.save()
        _event(response, by, EventKind.CREATED, to_status=ResponseStatus.DRAFT)
    return response


def draft_save(
    *,
    response: Response,
    by,
    expected_version: int,
    body: str,
    summary: str,
    answers: Mapping[int, str] | None = None,
    positions: Mapping[int, PositionInput | None] | None = None,
    event_kind: str = EventKind.SAVED,
    note: str = "",
) -> Response:
    """Save a new version of a draft, if nobody saved since `expected_version`; else raise EditConflict.

    The version is claimed with a conditional UPDATE (…WHERE version = expected), so of two saves
    started from the same version exactly one wins, and the other is shown both texts. Saving an
    approved draft sends it back to review. A save that changes nothing makes no version.
    """
    # Rules are checked against the row as it is now, not as the caller's copy remembers it.
    response = _fresh(response)
    if refusal := rules.refusal_to_edit(by, response):
        raise TransitionError(refusal)
    body, summary = _normalise(body), summary.strip()
    if _unchanged(response, body=body, summary=summary, answers=answers, positions=positions):
        return response
    with transaction.atomic():
        claimed = Response.objects.filter(
            pk=response.pk,
            version=expected_version,
            status__in=[
                ResponseStatus.DRAFT,
                ResponseStatus.IN_REVIEW,
                ResponseStatus.CHANGES_REQUESTED,
                ResponseStatus.APPROVED,
            ],
        ).update(body=body, summary=summary, version=F("version") + 1, updated_at=timezone.now())
        if not claimed:
            current = _fresh(response)
            if refusal := rules.refusal_to_edit(by, current):
                raise TransitionError(refusal)
            raise EditConflict(current)
        saved = _fresh(response)
        if answers is not None or positions is not None:
            _apply_coding(response=saved, answers=answers or {}, positions=positions or {})
        if saved.status == ResponseStatus.APPROVED:
            Response.objects.filter(pk=saved.pk).update(status=ResponseStatus.IN_REVIEW)
            saved.status = ResponseStatus.IN_REVIEW
            _event(
                saved,
                by,
                EventKind.SAVED,
                from_status=ResponseStatus.APPROVED,
                to_status=ResponseStatus.IN_REVIEW,
                note=note or _("Edited after approval: the new version needs approval again."),
            )
        else:
            _event(saved, by, event_kind, note=note)
        _record_history(saved, by, reason=note or _("Saved"))
        # The body and summary changed by UPDATE, which sends no signal.
        schedule_response_refresh([saved.pk])
    return saved


def draft_restore(*, response: Response, by, number: int, expected_version: int) -> Response:
    """Make an earlier version the content of a new version (nothing in between is lost: it stays a version)."""
    snapshot = version_snapshot(response, number)
    answers = {question_id: snapshot.answers.get(question_id, "") for question_id in _question_ids(response)}
    positions: dict[int, PositionInput | None] = {}
    for topic_id in _topic_ids(response):
        coded = snapshot.positions.get(topic_id)
        positions[topic_id] = PositionInput(coded.stance, coded.summary, coded.quote) if coded else None
    return draft_save(
        response=response,
        by=by,
        expected_version=expected_version,
        body=snapshot.body,
        summary=snapshot.summary,
        answers=answers,
        positions=positions,
        event_kind=EventKind.RESTORED,
        note=_("Restored version %(number)d") % {"number": number},
    )


def response_request_review(
    *, response: Response, by, reviewers: Iterable, due_at: datetime.datetime, note: str = ""
) -> Response:
    """Ask `reviewers` to review the draft by `due_at`; the draft goes (or stays) in review."""
    response = _fresh(response)
    if refusal := rules.refusal_to_request_review(by, response):
        raise TransitionError(refusal)
    reviewers = list({user.pk: user for user in reviewers}.values())
    if not reviewers:
        raise TransitionError(_("Choose at least one reviewer."))
    for reviewer in reviewers:
        if not reviewer.has_role(*rules.DECIDERS):
            raise TransitionError(_("%(user)s is not a reviewer.") % {"user": reviewer})
        if reviewer.pk == response.owner_id:
            raise TransitionError(_("%(user)s wrote this draft and cannot review it.") % {"user": reviewer})
    if problem := review_due_problem(consultation=response.consultation, due_at=due_at):
        raise TransitionError(problem)
    with transaction.atomic():
        before = response.status
        if before != ResponseStatus.IN_REVIEW:
            response = _move(response, to=ResponseStatus.IN_REVIEW, from_statuses=[before])
        else:
            response = _fresh(response)
        for reviewer in reviewers:
            ReviewRequest.objects.update_or_create(
                response=response,
                reviewer=reviewer,
                defaults={
                    "requested_by": by,
                    "due_at": due_at,
                    "decision": ReviewDecision.PENDING,
                    "reason": "",
                    "decided_at": None,
                    "for_version": response.version,
                },
            )
        response.reviewers.add(*reviewers)
        names = ", ".join(str(reviewer) for reviewer in reviewers)
        _event(
            response,
            by,
            EventKind.REVIEW_REQUESTED,
            from_status=before,
            to_status=response.status,
            note=f"{names}. {note}".strip() if note else names,
        )
        if before != response.status:
            _record_history(response, by, reason=_("Review requested"))
        _notify(
            response,
            recipients=reviewers,
            kind=KIND_REVIEW_REQUESTED,
            actor=by,
            title=worded(
                gettext_lazy("%(actor)s asks you to review %(response)s"), actor=by, response=_label(response)
            ),
            body=format_lazy(
                "{}{}",
                worded(
                    gettext_lazy("Due %(due)s."), due=_lazy_date(timezone.localtime(due_at), "SHORT_DATETIME_FORMAT")
                ),
                f" {note}" if note else "",
            ),
            email_template="review_requested",
            email_context={"due_at": due_at, "note": note},
        )
    return response


def response_decide(*, response: Response, by, approve: bool, reason: str = "") -> Response:
    """Record a reviewer's decision on the version as it stands.

    Changes requested (with a reason) sends the draft back to its authors; an approval moves it to
    approved once the consultation's number of approvals on this version is reached (and, where the
    consultation says so, no thread is open).
    """
    reason = reason.strip()
    if refusal := rules.refusal_to_decide(by, _fresh(response)):
        raise TransitionError(refusal)
    if not approve and not reason:
        raise TransitionError(_("Say what should change: a reason is required to request changes."))
    with transaction.atomic():
        # One decision at a time per response, so that two approvals are counted as two.
        current = (
            Response.objects.select_for_update().select_related("consultation", "organisation").get(pk=response.pk)
        )
        if refusal := rules.refusal_to_decide(by, current):
            raise TransitionError(refusal)
        consultation = current.consultation
        if approve and consultation.approval_needs_resolved_threads and current.open_thread_count():
            raise TransitionError(
                _("Every comment thread must be resolved before this draft can be approved; %(count)d is open.")
                % {"count": current.open_thread_count()}
            )
        request = ReviewRequest.objects.filter(response=current, reviewer=by).first()
        if request is None:
            # An admin deciding without having been asked: the decision is recorded all the same.
            request = ReviewRequest(
                response=current, reviewer=by, requested_by=by, due_at=timezone.now(), for_version=current.version
            )
        if approve and request.decision == ReviewDecision.APPROVED and request.for_version == current.version:
            raise TransitionError(_("You already approved version %(number)d.") % {"number": current.version})
        request.decision = ReviewDecision.APPROVED if approve else ReviewDecision.CHANGES_REQUESTED
        request.reason = reason
        request.decided_at = timezone.now()
        request.for_version = current.version
        request.save()
        before = current.status
        if not approve:
            current = _move(current, to=ResponseStatus.CHANGES_REQUESTED, from_statuses=[ResponseStatus.IN_REVIEW])
        elif current.approvals_on_current_version() >= consultation.required_approvals:
            current = _move(current, to=ResponseStatus.APPROVED, from_statuses=[ResponseStatus.IN_REVIEW])
        _event(
            current,
            by,
            EventKind.APPROVED if approve else EventKind.CHANGES_REQUESTED,
            from_status=before,
            to_status=current.status,
            note=reason,
        )
        if before != current.status:
            _record_history(current, by, reason=current.get_status_display())
        approvals = current.approvals_on_current_version()
        if not approve:
            title = gettext_lazy("%(actor)s requested changes to %(response)s")
        elif current.status == ResponseStatus.APPROVED:
            title = gettext_lazy("%(response)s is approved and can be submitted")
        else:
            title = gettext_lazy("%(actor)s approved %(response)s")
        _notify(
            current,
            recipients=[current.owner, request.requested_by],
            kind=KIND_DECISION,
            actor=by,
            title=worded(title, actor=by, response=_label(current)),
            body=reason
            or worded(
                gettext_lazy("%(count)d of %(needed)d approvals on version %(number)d."),
                count=approvals,
                needed=consultation.required_approvals,
                number=current.version,
            ),
            email_template="review_decision",
            email_context={
                "approved": approve,
                "reason": reason,
                "status": current.get_status_display(),
                "approvals": approvals,
                "required_approvals": consultation.required_approvals,
                "version": current.version,
            },
        )
    return current


def response_submit(*, response: Response, by, channel: str, submitted_at: datetime.datetime) -> Response:
    """Record that the approved response went to the issuer, when and how; it is locked from then on."""
    response = _fresh(response)
    if refusal := rules.refusal_to_submit(by, response):
        raise TransitionError(refusal)
    if channel not in Channel.values:
        raise TransitionError(_("Say how the response was submitted."))
    if submitted_at > timezone.now() + datetime.timedelta(minutes=5):
        raise TransitionError(_("The submission date cannot be in the future."))
    with transaction.atomic():
        submitted = _move(
            response,
            to=ResponseStatus.SUBMITTED,
            from_statuses=[ResponseStatus.APPROVED],
            extra={"channel": channel, "submitted_at": submitted_at},
        )
        _event(
            submitted,
            by,
            EventKind.SUBMITTED,
            from_status=ResponseStatus.APPROVED,
            to_status=ResponseStatus.SUBMITTED,
            note=submitted.get_channel_display(),
        )
        _record_history(submitted, by, reason=_("Submitted"))
        _notify(
            submitted,
            recipients=_involved(submitted),
            kind=KIND_SUBMITTED,
            actor=by,
            title=worded(gettext_lazy("%(response)s was submitted"), response=_label(submitted)),
            body=worded(
                gettext_lazy("Submitted by %(actor)s through %(channel)s."),
                actor=by,
                channel=Channel(submitted.channel).label,
            ),
            email_template="response_submitted",
            email_context={"channel": submitted.get_channel_display(), "submitted_at": submitted_at},
        )
        # Recorded with the submission, sent once it has committed.
        webhook_emit(event=EVENT_RESPONSE_SUBMITTED, data=_webhook_data(submitted, by))
    return submitted


def _webhook_data(response: Response, by) -> dict:
    """What a webhook receiver is told of a submitted response."""
    return {
        "response": {
            "id": response.pk,
            "status": response.status,
            "channel": response.channel,
            "submitted_at": response.submitted_at,
            "version": response.version,
            "summary": response.summary,
            "url": settings.SITE_URL + response.get_absolute_url(),
            "api_url": f"{settings.SITE_URL}/api/v1/responses/{response.pk}/",
        },
        "consultation": {
            "id": response.consultation_id,
            "slug": response.consultation.slug,
            "title": response.consultation.title,
            "deadline": response.consultation.deadline,
        },
        "organisation": {
            "id": response.organisation_id,
            "slug": response.organisation.slug,
            "name": response.organisation.name,
        },
        "submitted_by": by.get_username(),
    }


def response_reopen(*, response: Response, by, reason: str) -> Response:
    """Unlock a submitted response (admins only, with a reason); it is a draft again and needs fresh approval."""
    reason = reason.strip()
    response = _fresh(response)
    if refusal := rules.refusal_to_reopen(by, response):
        raise TransitionError(refusal)
    if not reason:
        raise TransitionError(_("Give the reason for reopening the response: it is recorded."))
    with transaction.atomic():
        reopened = _move(
            response, to=ResponseStatus.DRAFT, from_statuses=[ResponseStatus.SUBMITTED], extra={"submitted_at": None}
        )
        # Approvals were given to what was submitted; a reopened response is reviewed afresh.
        reopened.review_requests.update(decision=ReviewDecision.PENDING, reason="", decided_at=None)
        _event(
            reopened,
            by,
            EventKind.REOPENED,
            from_status=ResponseStatus.SUBMITTED,
            to_status=ResponseStatus.DRAFT,
            note=reason,
        )
        _record_history(reopened, by, reason=_("Reopened: %(reason)s") % {"reason": reason})
        _notify(
            reopened,
            recipients=_involved(reopened),
            kind=KIND_REOPENED,
            actor=by,
            title=worded(gettext_lazy("%(actor)s reopened %(response)s"), actor=by, response=_label(reopened)),
            body=reason,
            email_template="response_reopened",
            email_context={"reason": reason},
        )
    return reopened


def comment_add(
    *,
    response: Response,
    by,
    body: str,
    parent: Comment | None = None,
    anchor_version: int | None = None,
    anchor_paragraph: int | None = None,
) -> Comment:
    """Comment on the whole draft, on one paragraph of the version the author saw, or reply to a thread.

    @username mentions notify those users; the thread's people and the draft's owner and reviewers
    hear of the comment too.
    """
    response = _fresh(response)
    if refusal := rules.refusal_to_comment(by, response):
        raise TransitionError(refusal)
    body = body.strip()
    if not body:
        raise TransitionError(_("Write something to comment."))
    anchor_text = ""
    if parent is not None:
        if parent.response_id != response.pk:
            raise TransitionError(_("That thread belongs to another response."))
        # Threads are one level deep: a reply to a reply joins the same thread.
        parent = parent.parent or parent
        anchor_version = anchor_paragraph = None
    elif anchor_paragraph is not None:
        anchor_version = anchor_version or response.version
        text = response.body if anchor_version == response.version else _body_at(response, anchor_version)
        blocks = paragraphs(text)
        if not 0 <= anchor_paragraph < len(blocks):
            raise TransitionError(_("That paragraph is no longer in the draft; comment on the draft as it is now."))
        anchor_text = blocks[anchor_paragraph]
    else:
        anchor_version = None
    mentioned = _mentioned_users(body)
    with transaction.atomic():
        comment = Comment.objects.create(
            response=response,
            author=by,
            body=body,
            parent=parent,
            anchor_version=anchor_version,
            anchor_paragraph=anchor_paragraph,
            anchor_text=anchor_text,
        )
        if mentioned:
            comment.mentions.set(mentioned)
        _event(response, by, EventKind.COMMENTED, note=Truncator(body).chars(200))
        _notify_comment(response, comment, mentioned)
    return comment


def comment_resolve(*, comment: Comment, by) -> bool:
    """Mark a thread resolved; False when it already was."""
    return _set_resolved(comment, by, resolved=True)


def comment_reopen(*, comment: Comment, by) -> bool:
    """Open a resolved thread again; False when it was open."""
    return _set_resolved(comment, by, resolved=False)


def _set_resolved(comment: Comment, by, *, resolved: bool) -> bool:
    comment = Comment.objects.select_related("response").get(pk=comment.pk)
    if refusal := rules.refusal_to_resolve(by, comment):
        raise TransitionError(refusal)
    with transaction.atomic():
        changed = Comment.objects.filter(pk=comment.pk, resolved=not resolved).update(
            resolved=resolved,
            resolved_by=by if resolved else None,
            resolved_at=timezone.now() if resolved else None,
        )
        if changed:
            _event(
                comment.response,
                by,
                EventKind.THREAD_RESOLVED if resolved else EventKind.THREAD_REOPENED,
                note=Truncator(comment.body).chars(200),
            )
    return bool(changed)


def _label(response: Response) -> Promise:
    """How notifications name one of our responses (in each recipient's language: see notifications.worded)."""
    return worded(gettext_lazy("our response to “%(consultation)s”"), consultation=response.consultation.title)


# A date worded, like the notification around it, in each recipient's language.
_lazy_date = lazy(date_format, str)


def _normalise(body: str) -> str:
    return (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _fresh(response: Response) -> Response:
    return Response.objects.select_related("consultation", "organisation", "owner").get(pk=response.pk)


def _question_ids(response: Response) -> list[int]:
    return list(response.consultation.questions.values_list("pk", flat=True))


def _topic_ids(response: Response) -> list[int]:
    return list(response.consultation.topics.values_list("pk", flat=True))


def _unchanged(
    response: Response,
    *,
    body: str,
    summary: str,
    answers: Mapping[int, str] | None,
    positions: Mapping[int, PositionInput | None] | None,
) -> bool:
    if (body, summary) != (response.body, response.summary):
        return False
    existing_answers = {answer.question_id: answer.text for answer in response.answers.all()}
    for question_id, text in (answers or {}).items():
        if existing_answers.get(question_id, "") != text.strip():
            return False
    existing_positions = {
        position.topic_id: (position.stance, position.summary, position.quote) for position in response.positions.all()
    }
    for topic_id, coded in (positions or {}).items():
        wanted = (coded.stance, coded.summary, coded.quote) if coded and coded.stance else None
        if existing_positions.get(topic_id) != wanted:
            return False
    return True


def _move(response: Response, *, to: str, from_statuses: Iterable[str], extra: Mapping | None = None) -> Response:
    """Change the status only if it is still one of `from_statuses` (a conditional UPDATE), so that two
    people acting on the same page cannot both take the step."""
    moved = Response.objects.filter(pk=response.pk, status__in=list(from_statuses)).update(
        status=to, updated_at=timezone.now(), **(extra or {})
    )
    if not moved:
        raise TransitionError(
            _("The response changed while you were looking at it. Reload the page to see where it stands.")
        )
    matrix.forget(response.consultation_id)  # an UPDATE sends no signal; submitted responses enter the matrix
    return _fresh(response)


def _record_history(response: Response, by, *, reason: str) -> None:
    """A historical row for a change made by UPDATE (which simple-history does not see), naming its author."""
    Response.history.bulk_history_create(
        [Response.objects.get(pk=response.pk)], update=True, default_user=by, default_change_reason=str(reason)[:100]
    )


def _event(
    response: Response,
    by,
    kind: str,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    subject: str = "",
    attachment: Attachment | None = None,
) -> None:
    ResponseEvent.objects.create(
        response=response,
        attachment=attachment,
        subject=subject,
        actor=by,
        kind=kind,
        version=response.version,
        from_status=from_status or "",
        to_status=to_status or "",
        note=note,
    )


def _body_at(response: Response, version: int) -> str:
    record = response.history.filter(version=version).order_by("-history_id").first()
    if record is None:
        raise TransitionError(_("That version of the draft does not exist."))
    return record.body


def _mentioned_users(body: str) -> list:
    names = {name.rstrip(".") for name in MENTION.findall(body)}
    if not names:
        return []
    User = get_user_model()
    candidates = User.objects.filter(username__in=names, is_active=True)
    return [user for user in candidates if user.is_team_member]


def _involved(response: Response) -> list:
    """The owner, the reviewers asked and those who asked them."""
    people = [response.owner]
    for request in response.review_requests.select_related("reviewer", "requested_by"):
        people += [request.reviewer, request.requested_by]
    return [person for person in people if person is not None]


def _notify_comment(response: Response, comment: Comment, mentioned: list) -> None:
    url = f"{response.get_absolute_url()}#comment-{comment.pk}"
    context = {
        "comment": comment.body,
        "quote": comment.anchor_text or (comment.parent.anchor_text if comment.parent else ""),
    }
    mentioned_ids = {user.pk for user in mentioned}
    if comment.parent is None:
        others, kind = _involved(response), KIND_COMMENT
        title = gettext_lazy("%(actor)s commented on %(response)s")
    else:
        thread = [comment.parent, *comment.parent.replies.exclude(pk=comment.pk).select_related("author")]
        others, kind = [response.owner, *(item.author for item in thread)], KIND_REPLY
        title = gettext_lazy("%(actor)s replied in a thread on %(response)s")
    recipients = [user for user in others if user is not None and user.pk not in mentioned_ids]
    excerpt = Truncator(comment.body).chars(300)
    _notify(
        response,
        recipients=recipients,
        kind=kind,
        actor=comment.author,
        title=worded(title, actor=comment.author, response=_label(response)),
        body=excerpt,
        url=url,
        email_template="comment",
        email_context={**context, "is_reply": comment.parent is not None},
    )
    _notify(
        response,
        recipients=mentioned,
        kind=KIND_MENTION,
        actor=comment.author,
        title=worded(
            gettext_lazy("%(actor)s mentioned you on %(response)s"), actor=comment.author, response=_label(response)
        ),
        body=excerpt,
        url=url,
        email_template="mention",
        email_context=context,
    )


def _notify(
    response: Response,
    *,
    recipients: Iterable,
    kind: str,
    actor,
    title: str | Promise,
    body: str | Promise,
    email_template: str,
    email_context: Mapping,
    url: str = "",
) -> None:
    notify(
        recipients=recipients,
        kind=kind,
        title=capfirst(title),
        body=body,
        url=url or response.get_absolute_url(),
        actor=actor,
        email_template=email_template,
        email_context={
            "actor": str(actor),
            "response": str(response),
            "organisation": response.organisation.name,
            "consultation": response.consultation.title,
            "deadline": response.consultation.deadline,
            **email_context,
        },
    )
