"""Shared set-up for the API tests: a client per role, authenticated with a real token."""

import datetime
import uuid

from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from exports.models import ExportFormat, ExportJob, ExportStatus
from reminders.models import ReminderLog, ReminderStatus, user_key
from responses.models import ResponseStatus
from tests.factories import (
    AnswerFactory,
    AttachmentFactory,
    CommentFactory,
    ConsultationFactory,
    ContactFactory,
    DraftFactory,
    OrganisationFactory,
    PositionFactory,
    QuestionFactory,
    ResponseFactory,
    ReviewRequestFactory,
    TopicFactory,
)

ROLES = ["anonymous", "outsider", "policy", "reviewer", "admin"]


def token_client(user=None) -> APIClient:
    """An API client sending `Authorization: Token <key>` for `user`; anonymous when None."""
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def make_world(*, policy_user, reviewer_user, admin_user) -> dict:
    """One of everything the API serves, with the reviewer asked to review the draft."""
    organisation = OrganisationFactory(name="Facebook", slug="facebook")
    consultation = ConsultationFactory(title="COP Results Framework", slug="cop", issuer=OrganisationFactory())
    question = QuestionFactory(consultation=consultation, number="1")
    topic = TopicFactory(consultation=consultation, name="Multi-stakeholder model")
    received = ResponseFactory(consultation=consultation, organisation=organisation, summary="A letter")
    AnswerFactory(response=received, question=question)
    PositionFactory(response=received, topic=topic)
    attachment = AttachmentFactory(response=received)
    draft = DraftFactory(consultation=consultation, organisation=OrganisationFactory(), owner=policy_user)
    ReviewRequestFactory(response=draft, reviewer=reviewer_user, requested_by=policy_user)
    approved = DraftFactory(
        consultation=consultation, organisation=OrganisationFactory(), owner=policy_user, status=ResponseStatus.APPROVED
    )
    comment = CommentFactory(response=draft, author=reviewer_user)
    now = timezone.now()
    job = ExportJob.objects.create(
        consultation=consultation,
        requested_by=admin_user,
        format=ExportFormat.ZIP,
        status=ExportStatus.DONE,
        progress_total=1,
        progress_done=1,
        finished_at=now,
        expires_at=now + datetime.timedelta(days=7),
        checksum="0" * 64,
        file_size=7,
    )
    job.file.save("pack.zip", ContentFile(b"PK\x03\x04zip"), save=True)
    reminder = ReminderLog.objects.create(
        consultation=consultation,
        recipient_key=user_key(policy_user.pk),
        user=policy_user,
        email=policy_user.email,
        offset=7,
        deadline=consultation.deadline,
        due_at=consultation.deadline - datetime.timedelta(days=7),
        status=ReminderStatus.SENT,
        scan_id=uuid.uuid4(),
    )
    return {
        "organisation": organisation,
        "spare_organisation": OrganisationFactory(name="Unused"),
        "contact": ContactFactory(organisation=organisation),
        "consultation": consultation,
        "question": question,
        "topic": topic,
        "received": received,
        "attachment": attachment,
        "draft": draft,
        "approved": approved,
        "comment": comment,
        "job": job,
        "reminder": reminder,
    }
