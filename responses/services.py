"""Workflows on received submissions: log one, attach files, code it, extract its text.

Views, tasks and imports call these; each is one transaction, and background work is queued only
once that transaction has committed, so a worker never looks for a row that is not there yet.
"""

import datetime
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consultations.models import Consultation
from responses.extraction import ExtractionResult, extract_text
from responses.models import (
    Answer,
    Attachment,
    ExtractionStatus,
    Position,
    Response,
    ResponseStatus,
    Stance,
)
from responses.uploads import CheckedUpload
from stakeholders.models import Organisation

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
    return response


@transaction.atomic
def response_attach_files(*, response: Response, files: Iterable[CheckedUpload], uploaded_by) -> list[Attachment]:
    """Add files to an existing response and queue their text extraction."""
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
    _apply_coding(response=locked, answers=answers, positions=positions)
    locked.version += 1
    locked.save(update_fields=["version", "updated_at"])
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
    return bool(updated)


def attachment_extract_text(*, attachment_id: int) -> ExtractionStatus | None:
    """Read a stored attachment and record its text; does nothing unless the attachment awaits extraction.

    Reading the file may raise OSError (storage unreachable): that is left to the caller to retry.
    The result is written only if the attachment is still pending, so a duplicate delivery of the
    task, or a retry that races another, records one result.
    """
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None or attachment.extraction_status != ExtractionStatus.PENDING:
        return None
    with attachment.file.open("rb") as stored:
        data = stored.read()
    result = extract_text(data, attachment.content_type)
    attachment_record_extraction(attachment_id=attachment_id, result=result)
    return result.status


def attachment_record_extraction(*, attachment_id: int, result: ExtractionResult) -> bool:
    """Store an extraction result on a pending attachment; False when it was no longer pending."""
    return bool(
        Attachment.objects.filter(pk=attachment_id, extraction_status=ExtractionStatus.PENDING).update(
            extraction_status=result.status,
            extracted_text=result.text,
            extraction_error=result.error,
            extracted_at=timezone.now(),
        )
    )


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
        # The storage writes the uploaded bytes as they are; the name only decides where.
        attachment.file.save(upload.name, upload.file, save=False)
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
