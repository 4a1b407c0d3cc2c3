import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from responses.diffing import Anchor

from consultations.models import Consultation, Question, Topic
from stakeholders.models import Organisation


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    SUBMITTED = "submitted", _("Submitted")
    RECEIVED = "received", _("Received")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    WEB_FORM = "web_form", _("Web form")


class Stance(models.TextChoices):
    """The coding scale, strongest support first; `not_addressed` is not a view."""

    STRONGLY_SUPPORTS = "strongly_supports", _("Strongly supports")
    SUPPORTS = "supports", _("Supports")
    NEUTRAL = "neutral", _("Neutral / mixed")
    OPPOSES = "opposes", _("Opposes")
    STRONGLY_OPPOSES = "strongly_opposes", _("Strongly opposes")
    NOT_ADDRESSED = "not_addressed", _("Not addressed")


class ResponseQuerySet(models.QuerySet):
    def received(self) -> "ResponseQuerySet":
        return self.filter(status=ResponseStatus.RECEIVED)

    def ours(self) -> "ResponseQuerySet":
        """Responses the team drafts itself, as opposed to those logged from outside."""
        return self.exclude(status=ResponseStatus.RECEIVED)

    def not_submitted(self) -> "ResponseQuerySet":
        return self.ours().exclude(status=ResponseStatus.SUBMITTED)

    def responded(self) -> "ResponseQuerySet":
        """Responses that reached the issuer: logged from outside, or our own once submitted."""
        return self.filter(status__in=[ResponseStatus.RECEIVED, ResponseStatus.SUBMITTED])

    def from_organisation_to(self, *, organisation: Organisation, consultation: Consultation) -> "ResponseQuerySet":
        return self.filter(organisation=organisation, consultation=consultation)

    def in_progress(self) -> "ResponseQuerySet":
        """Our drafts still being written or reviewed: neither received nor submitted."""
        return self.not_submitted()

    def owned_by(self, user) -> "ResponseQuerySet":
        return self.filter(owner=user)


class Response(models.Model):
    """One organisation's submission to one consultation: received, or drafted by us."""

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.PROTECT, related_name="responses"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="responses"
    )
    status = models.CharField(
        _("status"), max_length=32, choices=ResponseStatus.choices, default=ResponseStatus.DRAFT, db_index=True
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown."))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_responses",
    )
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewers"), blank=True, related_name="reviewed_responses"
    )
    # Optimistic locking: a save must name the version it started from.
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()
    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [
            models.Index(fields=["consultation", "status"]),
            # The response list's order (newest first, undated last) and the home page's (undated first).
            models.Index(
                models.F("received_on").desc(nulls_last=True),
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="response_newest_first",
            ),
            models.Index(fields=["received_on", "created_at"], name="response_received_created"),
        ]
        permissions = [
            ("review_response", _("Can comment on, approve or request changes to responses")),
            ("reopen_response", _("Can reopen a submitted response")),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.consultation}"

    def get_absolute_url(self) -> str:
        return reverse("responses:response-detail", args=[self.pk])

    @property
    def is_received(self) -> bool:
        return self.status == ResponseStatus.RECEIVED

    @property
    def in_workflow(self) -> bool:
        """Our own response, drafted and reviewed here; received submissions stay outside the workflow."""
        return not self.is_received

    @property
    def is_locked(self) -> bool:
        """Submitted: no edits, comments closed, until an admin reopens it."""
        return self.status == ResponseStatus.SUBMITTED

    @property
    def is_editable(self) -> bool:
        return self.in_workflow and not self.is_locked

    def paragraphs(self) -> list[str]:
        from responses.diffing import paragraphs

        return paragraphs(self.body)

    def approvals_on_current_version(self) -> int:
        """Reviewers who approved exactly the version as it stands."""
        return (
            self.review_requests.filter(decision=ReviewDecision.APPROVED, for_version=self.version)
            .values("reviewer")
            .distinct()
            .count()
        )

    def open_thread_count(self) -> int:
        return self.comments.threads().unresolved().count()


class Answer(models.Model):
    response = models.ForeignKey(Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(_("text"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["response", "question__order", "question__pk"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"],
                name="answer_unique_per_question",
                violation_error_message=_("This response already answers that question."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.response.organisation} on Q{self.question.number}"

    def clean(self) -> None:
        if self.response_id and self.question_id and self.question.consultation_id != self.response.consultation_id:
            raise ValidationError({"question": _("The question belongs to another consultation.")}, code="mismatch")


class Position(models.Model):
    """An organisation's stance on one topic, as coded from its response."""

    response = models.ForeignKey(
        Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="positions"
    )
    topic = models.ForeignKey(Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="positions")
    stance = models.CharField(_("stance"), max_length=32, choices=Stance.choices)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    quote = models.TextField(_("quote"), blank=True, help_text=_("The organisation's own words."))

    history = HistoricalRecords()

    class Meta:
        ordering = ["response", "topic__order", "topic__pk"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "topic"],
                name="position_unique_per_topic",
                violation_error_message=_("This response already has a position on that topic."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.response.organisation} {self.get_stance_display().lower()} {self.topic}"

    def clean(self) -> None:
        if self.response_id and self.topic_id and self.topic.consultation_id != self.response.consultation_id:
            raise ValidationError({"topic": _("The topic belongs to another consultation.")}, code="mismatch")


class ExtractionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for extraction")
    DONE = "done", _("Text extracted")
    NO_TEXT_LAYER = "no_text_layer", _("No text layer (scanned document)")
    FAILED = "failed", _("Extraction failed")


# How long an extraction may stay pending before the user is offered to queue it again.
EXTRACTION_PATIENCE = datetime.timedelta(minutes=5)


class Attachment(models.Model):
    """The original file of a submission, kept byte for byte."""

    response = models.ForeignKey(
        Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    original_name = models.CharField(_("original name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    extracted_text = models.TextField(_("extracted text"), blank=True)
    extraction_status = models.CharField(
        _("extraction"), max_length=16, choices=ExtractionStatus.choices, default=ExtractionStatus.PENDING
    )
    extraction_error = models.TextField(
        _("extraction error"), blank=True, help_text=_("Why the text could not be extracted, in plain words.")
    )
    extraction_queued_at = models.DateTimeField(_("extraction queued"), null=True, blank=True)
    extracted_at = models.DateTimeField(_("extracted"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["response", "uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    @property
    def extraction_pending(self) -> bool:
        return self.extraction_status == ExtractionStatus.PENDING

    @property
    def extraction_failed(self) -> bool:
        return self.extraction_status == ExtractionStatus.FAILED

    def extraction_stuck(self, now: datetime.datetime | None = None) -> bool:
        """Pending for longer than any extraction takes: the task was lost (a broker outage) and may be queued again."""
        queued_at = self.extraction_queued_at or self.uploaded_at
        return (
            self.extraction_pending
            and queued_at is not None
            and (now or timezone.now()) - queued_at > EXTRACTION_PATIENCE
        )

    @property
    def may_retry_extraction(self) -> bool:
        return self.extraction_failed or self.extraction_stuck()

    @property
    def has_no_text_layer(self) -> bool:
        return self.extraction_status == ExtractionStatus.NO_TEXT_LAYER


class ReviewDecision(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class ReviewRequestQuerySet(models.QuerySet):
    def waiting_for(self, user) -> "ReviewRequestQuerySet":
        """Reviews this user still owes: the draft is in review and they have not approved it as it stands."""
        return (
            self.filter(reviewer=user, response__status=ResponseStatus.IN_REVIEW)
            .exclude(decision=ReviewDecision.APPROVED, for_version=models.F("response__version"))
            .exclude(decision=ReviewDecision.CHANGES_REQUESTED, for_version=models.F("response__version"))
        )

    def overdue(self, now: datetime.datetime | None = None) -> "ReviewRequestQuerySet":
        return self.filter(due_at__lt=now or timezone.now())


class ReviewRequest(models.Model):
    """A reviewer asked to review one response by a date, and what they decided on which version."""

    response = models.ForeignKey(
        Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="review_requests"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.CASCADE, related_name="review_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decision = models.CharField(
        _("decision"), max_length=32, choices=ReviewDecision.choices, default=ReviewDecision.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # The version asked about, then the version decided on: an approval counts for that version only.
    for_version = models.PositiveIntegerField(_("version"))

    objects = ReviewRequestQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("review request")
        verbose_name_plural = _("review requests")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "reviewer"],
                name="review_request_one_per_reviewer",
                violation_error_message=_("This reviewer is already asked to review this response."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} → {self.response}"

    def is_overdue(self, now: datetime.datetime | None = None) -> bool:
        return self.decision == ReviewDecision.PENDING and self.due_at < (now or timezone.now())

    @property
    def is_current(self) -> bool:
        """The decision is about the response as it stands (not an earlier version)."""
        return self.for_version == self.response.version


class CommentQuerySet(models.QuerySet):
    def threads(self) -> "CommentQuerySet":
        """First comments of threads; replies hang from them."""
        return self.filter(parent__isnull=True)

    def unresolved(self) -> "CommentQuerySet":
        return self.filter(resolved=False)

    def mentioning(self, user) -> "CommentQuerySet":
        return self.filter(mentions=user)


class Comment(models.Model):
    """A reviewer's comment on a draft, on the whole or anchored to one paragraph."""

    response = models.ForeignKey(
        Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField(_("comment"))
    parent = models.ForeignKey(
        "self", verbose_name=_("reply to"), on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    # The anchor: which paragraph of which version of the body the comment is about.
    anchor_version = models.PositiveIntegerField(_("anchored to version"), null=True, blank=True)
    anchor_paragraph = models.PositiveIntegerField(_("anchored to paragraph"), null=True, blank=True)
    anchor_text = models.TextField(_("quoted paragraph"), blank=True)
    resolved = models.BooleanField(_("resolved"), default=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("mentions"), blank=True, related_name="mentioned_in_comments"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(anchor_paragraph__isnull=True) | models.Q(anchor_version__isnull=False),
                name="comment_anchor_names_version",
                violation_error_message=_("An anchored comment must name the version it quotes."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.author} on {self.response}"

    @property
    def is_anchored(self) -> bool:
        return self.anchor_paragraph is not None

    def locate(self, current: list[str]) -> "Anchor | None":
        """Where the quoted paragraph is in `current` (the paragraphs of the body now); None if not anchored."""
        from responses.diffing import locate_paragraph

        if not self.is_anchored:
            return None
        return locate_paragraph(self.anchor_text, current, near=self.anchor_paragraph)


class EventKind(models.TextChoices):
    CREATED = "created", _("Created the draft")
    SAVED = "saved", _("Saved a version")
    RESTORED = "restored", _("Restored an earlier version")
    REVIEW_REQUESTED = "review_requested", _("Requested a review")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Requested changes")
    SUBMITTED = "submitted", _("Submitted")
    REOPENED = "reopened", _("Reopened")
    COMMENTED = "commented", _("Commented")
    THREAD_RESOLVED = "thread_resolved", _("Resolved a thread")
    THREAD_REOPENED = "thread_reopened", _("Reopened a thread")


class ResponseEventQuerySet(models.QuerySet):
    def for_audit(self) -> "ResponseEventQuerySet":
        return self.select_related("actor", "response__organisation", "response__consultation").order_by(
            "-created_at", "-pk"
        )


class ResponseEvent(models.Model):
    """The audit trail of our drafts: who did what, when, on which version, and why."""

    response = models.ForeignKey(Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="response_events",
    )
    kind = models.CharField(_("what"), max_length=32, choices=EventKind.choices)
    version = models.PositiveIntegerField(_("version"))
    from_status = models.CharField(_("from"), max_length=32, choices=ResponseStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=32, choices=ResponseStatus.choices, blank=True)
    note = models.TextField(_("note"), blank=True, help_text=_("The reason given, or what was said."))
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    objects = ResponseEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("response event")
        verbose_name_plural = _("response events")
        indexes = [models.Index(fields=["response", "created_at"])]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_kind_display().lower()} {self.response}"

    @property
    def changed_status(self) -> bool:
        return bool(self.to_status) and self.to_status != self.from_status
