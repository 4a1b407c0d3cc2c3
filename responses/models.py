import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from responses.diffing import Anchor

from consultations.models import Consultation, Question, Topic
from stakeholders.models import Organisation


def choice_label(choices: type[models.Choices], value: str) -> str:
    """What get_FOO_display gives for `value`. Defined on the fields shown in every row of long lists: Django's
    own translates every label of the field on each call (it hashes them), this only the one shown."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    SUBMITTED = "submitted", _("Submitted")
    RECEIVED = "received", _("Received")


class UTCDate(models.Func):
    """The day of a moment in UTC: unlike TruncDate (the day in the active zone), the same for every viewer,
    so that an index can hold it."""

    template = "((%(expressions)s AT TIME ZONE 'UTC')::date)"
    output_field = models.DateField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps moments as UTC text.
        return super().as_sql(compiler, connection, template="date(%(expressions)s)", **extra_context)


# Responses that reached the issuer ("on record"): logged from outside, or our own once submitted.
ON_RECORD_STATUSES = [ResponseStatus.RECEIVED, ResponseStatus.SUBMITTED]
# The day one reached the issuer: received on, or the day ours was submitted.
ON_RECORD_DATE = Coalesce("received_on", UTCDate("submitted_at"))


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
        return self.filter(status__in=ON_RECORD_STATUSES)

    def latest_on_record(self) -> "ResponseQuerySet":
        """Those that reached the issuer, by the day they did, latest first (the undated last); served by the
        index response_latest_on_record (the day of a submission is taken in UTC for that)."""
        return self.responded().order_by(ON_RECORD_DATE.desc(nulls_last=True), "-created_at", "-pk")

    def from_organisation_to(self, *, organisation: Organisation, consultation: Consultation) -> "ResponseQuerySet":
        return self.filter(organisation=organisation, consultation=consultation)

    def in_progress(self) -> "ResponseQuerySet":
        """Our drafts still being written or reviewed: neither received nor submitted."""
        return self.not_submitted()

    def owned_by(self, user) -> "ResponseQuerySet":
        return self.filter(owner=user)

    def newest_first(self) -> "ResponseQuerySet":
        """Most recently received first, undated ones last on every database (PostgreSQL would put NULL first
        when descending); the index response_newest_first serves this order."""
        return self.order_by(models.F("received_on").desc(nulls_last=True), "-created_at", "-pk")

    def campaigns_collapsed(self) -> "ResponseQuerySet":
        """Each campaign once, through its representative; responses outside campaigns as they are."""
        return self.filter(models.Q(campaign__isnull=True) | models.Q(campaign__representative=models.F("pk")))

    def search(self, text: str) -> "ResponseQuerySet":
        """Full-text search, best match first, annotated with `rank` (see responses.search)."""
        from responses.search import search_responses

        return search_responses(self, text)

    def created_after(self, moment: datetime.datetime) -> "ResponseQuerySet":
        return self.filter(created_at__gt=moment)

    def deleted(self) -> "ResponseQuerySet":
        """Responses in the deleted items, awaiting restore or purge (from `Response.all_objects`)."""
        return self.filter(deleted_at__isnull=False)

    def deleted_before(self, moment: datetime.datetime) -> "ResponseQuerySet":
        return self.filter(deleted_at__lt=moment)


class AllResponsesManager(models.Manager.from_queryset(ResponseQuerySet)):
    """Every response, deleted ones included: for the deleted items, restore, purge and the audit trail."""

    def get_queryset(self) -> ResponseQuerySet:
        # The search vector is only read by the database; leaving it unloaded also keeps save() from
        # writing back a stale copy (a save of a partly loaded row writes the loaded fields only).
        return super().get_queryset().defer("search_vector")


class ResponseManager(AllResponsesManager):
    """Responses that are not deleted. The default manager, so related managers
    (`consultation.responses`, `organisation.responses`) leave deleted responses out too."""

    def get_queryset(self) -> ResponseQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


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
    # Campaigns (responses/campaigns.py): the group of near-identical letters this one belongs to, and
    # whether staff split it out of one, after which detection leaves it on its own.
    campaign = models.ForeignKey(
        "responses.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    kept_out_of_campaigns = models.BooleanField(
        _("kept out of campaigns"),
        default=False,
        help_text=_("Staff split this response out of a campaign: it is not grouped automatically again."),
    )

    # Weighted text of the response and what hangs from it, in its consultation's language;
    # kept current by responses.search after every change.
    search_vector = SearchVectorField(_("search vector"), null=True, editable=False)

    # Soft deletion (responses.services.response_delete): hidden everywhere but the deleted items, which an
    # admin restores from, until purged DELETED_RETENTION_DAYS later. The reason is in the audit trail.
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    history = HistoricalRecords(
        excluded_fields=["campaign", "kept_out_of_campaigns", "search_vector", "deleted_at", "deleted_by"]
    )
    # The first manager is the default: what every page, search, export and API sees.
    objects = ResponseManager()
    all_objects = AllResponsesManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [
            models.Index(fields=["consultation", "status"]),
            GinIndex(fields=["search_vector"], name="response_search_gin"),
            # The response list's order (newest first, undated last) and the home page's (undated first).
            models.Index(
                models.F("received_on").desc(nulls_last=True),
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="response_newest_first",
            ),
            models.Index(fields=["received_on", "created_at"], name="response_received_created"),
            models.Index(fields=["deleted_at"], name="response_deleted", condition=models.Q(deleted_at__isnull=False)),
            # The dashboard's recent submissions (ResponseQuerySet.latest_on_record).
            models.Index(
                ON_RECORD_DATE.desc(nulls_last=True),
                models.F("created_at").desc(),
                models.F("id").desc(),
                condition=models.Q(status__in=ON_RECORD_STATUSES),
                name="response_latest_on_record",
            ),
        ]
        permissions = [
            ("review_response", _("Can comment on, approve or request changes to responses")),
            ("reopen_response", _("Can reopen a submitted response")),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.consultation}"

    def get_absolute_url(self) -> str:
        return reverse("responses:response-detail", args=[self.pk])

    def get_status_display(self) -> str:
        return choice_label(ResponseStatus, self.status)

    def get_channel_display(self) -> str:
        return choice_label(Channel, self.channel)

    @property
    def is_received(self) -> bool:
        return self.status == ResponseStatus.RECEIVED

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

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


# Stances that take a side, for telling agreement from disagreement between two organisations.
SUPPORTING = frozenset({Stance.STRONGLY_SUPPORTS, Stance.SUPPORTS})
OPPOSING = frozenset({Stance.OPPOSES, Stance.STRONGLY_OPPOSES})


class PositionQuerySet(models.QuerySet):
    def on_record(self) -> "PositionQuerySet":
        """Positions taken in responses that reached the issuer (received, or ours once submitted), not deleted."""
        return self.filter(response__status__in=ON_RECORD_STATUSES, response__deleted_at__isnull=True)

    def of_organisations(self, organisations) -> "PositionQuerySet":
        return self.filter(response__organisation__in=organisations)

    def in_consultation_order(self) -> "PositionQuerySet":
        """Oldest consultation first (by deadline), then the topic's place in it, then the response."""
        return self.select_related("response__consultation", "response__organisation", "topic").order_by(
            "response__consultation__deadline",
            "response__consultation_id",
            "topic__order",
            "topic_id",
            "response__received_on",
            "response_id",
        )


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
    objects = PositionQuerySet.as_manager()

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

    def get_stance_display(self) -> str:
        return choice_label(Stance, self.stance)

    def clean(self) -> None:
        if self.response_id and self.topic_id and self.topic.consultation_id != self.response.consultation_id:
            raise ValidationError({"topic": _("The topic belongs to another consultation.")}, code="mismatch")

    @property
    def side(self) -> str:
        """ "for", "against", or "" for a stance that takes no side."""
        if self.stance in SUPPORTING:
            return "for"
        if self.stance in OPPOSING:
            return "against"
        return ""


class ExtractionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for extraction")
    DONE = "done", _("Text extracted")
    NO_TEXT_LAYER = "no_text_layer", _("No text layer (scanned document)")
    FAILED = "failed", _("Extraction failed")


# How long an extraction may stay pending before the user is offered to queue it again.
EXTRACTION_PATIENCE = datetime.timedelta(minutes=5)


class AttachmentQuerySet(models.QuerySet):
    def deleted(self) -> "AttachmentQuerySet":
        """Files deleted on their own (from `Attachment.all_objects`); those of deleted responses go with them."""
        return self.filter(deleted_at__isnull=False)

    def deleted_before(self, moment: datetime.datetime) -> "AttachmentQuerySet":
        return self.filter(deleted_at__lt=moment)


class AttachmentManager(models.Manager.from_queryset(AttachmentQuerySet)):
    """Files shown anywhere: neither deleted themselves nor belonging to a deleted response."""

    def get_queryset(self) -> AttachmentQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True, response__deleted_at__isnull=True)


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
    # Soft deletion, as for responses (responses.services.attachment_delete).
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = AttachmentManager()
    all_objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["response", "uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

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
            self.filter(reviewer=user, response__status=ResponseStatus.IN_REVIEW, response__deleted_at__isnull=True)
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
        return self.filter(mentions=user, response__deleted_at__isnull=True)


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
    DELETED = "deleted", _("Deleted the response")
    UNDELETED = "undeleted", _("Restored the deleted response")
    PURGED = "purged", _("Purged the deleted response")
    ATTACHMENT_DELETED = "attachment_deleted", _("Deleted a file")
    ATTACHMENT_UNDELETED = "attachment_undeleted", _("Restored a deleted file")
    ATTACHMENT_PURGED = "attachment_purged", _("Purged a deleted file")


class AuditTrailImmutable(Exception):
    """An attempt to change or remove a recorded audit event: the trail only grows."""


class ResponseEventQuerySet(models.QuerySet):
    def for_audit(self) -> "ResponseEventQuerySet":
        return self.select_related("actor", "response__organisation", "response__consultation").order_by(
            "-created_at", "-pk"
        )

    # The trail only grows: neither a bulk change nor a bulk removal goes through the ORM (and on PostgreSQL a
    # trigger refuses them whatever sends them, see migration 0008).
    def update(self, **kwargs) -> int:
        raise AuditTrailImmutable("Audit events cannot be changed.")

    def delete(self):
        raise AuditTrailImmutable("Audit events cannot be deleted.")

    delete.queryset_only = True


class ResponseEvent(models.Model):
    """The audit trail of responses: who did what, when, on which version, and why. Never changed or removed.

    Events outlive what they are about: a purged response (or file) keeps its events, whose `response_id`
    (and `attachment_id`) then name a row that is gone, hence no database constraint on either; `subject`
    says in words what a deletion, restore or purge was about, for when the row is no longer there to say it.
    """

    response = models.ForeignKey(
        Response,
        verbose_name=_("response"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        # Nullable only so that joins are outer joins: the events of a purged response stay listed.
        null=True,
        related_name="events",
    )
    attachment = models.ForeignKey(
        Attachment,
        verbose_name=_("file"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="events",
    )
    subject = models.CharField(_("about"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        # Someone who appears in the trail is deactivated, not deleted: the trail keeps saying who.
        on_delete=models.PROTECT,
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
        return f"{self.actor} {self.get_kind_display().lower()} {self.subject or self.response_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditTrailImmutable("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailImmutable("Audit events cannot be deleted.")

    @property
    def changed_status(self) -> bool:
        return bool(self.to_status) and self.to_status != self.from_status


class CampaignQuerySet(models.QuerySet):
    def of(self, consultation: Consultation) -> "CampaignQuerySet":
        return self.filter(consultation=consultation)

    def with_size(self) -> "CampaignQuerySet":
        return self.annotate(size=models.Count("members"))

    def confirmed(self) -> "CampaignQuerySet":
        return self.filter(confirmed=True)


class Campaign(models.Model):
    """Near-identical responses to one consultation (a form letter with small edits), found by
    responses.campaigns and kept as staff decided: a confirmed campaign keeps its members."""

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(
        _("name"), max_length=200, blank=True, help_text=_("Left empty, the campaign is named by its number.")
    )
    representative = models.ForeignKey(
        Response,
        verbose_name=_("representative"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The response that stands for the campaign when campaigns are collapsed."),
    )
    # Staff chose the representative: recomputation keeps it while it is a member.
    representative_chosen = models.BooleanField(_("representative chosen by staff"), default=False)
    confirmed = models.BooleanField(_("confirmed"), default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["consultation", "pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return f"{reverse('responses:campaign-list', args=[self.consultation.slug])}#campaign-{self.pk}"

    @property
    def label(self) -> str:
        return self.name or str(_("Campaign %(number)s") % {"number": self.pk})


class CampaignDetection(models.Model):
    """Per consultation: its own similarity threshold, if any, and the state of its recomputation.

    `dirty_since` says responses changed since the last run; `queued_at` is the claim of the one
    recomputation waiting in the queue, so that a burst of changes queues one run, not one per change.
    """

    consultation = models.OneToOneField(
        Consultation, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="campaign_detection"
    )
    similarity_threshold = models.FloatField(
        _("similarity threshold"),
        null=True,
        blank=True,
        help_text=_("From 0 to 1; empty for the default of the installation."),
    )
    dirty_since = models.DateTimeField(_("changed since"), null=True, blank=True)
    queued_at = models.DateTimeField(_("recomputation queued"), null=True, blank=True)
    computed_at = models.DateTimeField(_("last computed"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign detection")
        verbose_name_plural = _("campaign detections")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(similarity_threshold__isnull=True)
                | models.Q(similarity_threshold__gt=0, similarity_threshold__lte=1),
                name="campaign_threshold_in_range",
                violation_error_message=_("The similarity threshold is a number above 0 and at most 1."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.consultation}"

    @property
    def threshold(self) -> float:
        if self.similarity_threshold is not None:
            return self.similarity_threshold
        return settings.CAMPAIGN_SIMILARITY_THRESHOLD

    @property
    def is_pending(self) -> bool:
        return self.dirty_since is not None or self.queued_at is not None


class SavedSearchQuerySet(models.QuerySet):
    def owned_by(self, user) -> "SavedSearchQuerySet":
        return self.filter(owner=user)

    def emailed_daily(self) -> "SavedSearchQuerySet":
        """Searches whose owner asked for the daily e-mail and can still read responses."""
        return self.filter(email_daily=True, owner__is_active=True).exclude(owner__email="")

    def not_emailed_on(self, day: datetime.date) -> "SavedSearchQuerySet":
        return self.filter(models.Q(last_emailed_on__isnull=True) | models.Q(last_emailed_on__lt=day))


class SavedSearch(models.Model):
    """A search a user keeps to run again, with an optional daily e-mail of new matches."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(_("name"), max_length=200)
    query = models.CharField(_("search"), max_length=500, blank=True)
    # The filters of the search page, as its query string gives them: {"status": ["received"], ...}.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    email_daily = models.BooleanField(
        _("daily e-mail of new matches"),
        default=False,
        help_text=_("Once a day, an e-mail listing responses logged since the last one that match this search."),
    )
    # The exactly-once marker of the daily e-mail: the day it last went out, and the moment up to
    # which responses were included (the next e-mail lists those created after it).
    last_emailed_on = models.DateField(_("last e-mailed on"), null=True, blank=True)
    last_emailed_at = models.DateTimeField(_("new matches counted from"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SavedSearchQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        constraints = [
            models.UniqueConstraint(
                models.functions.Lower("name"),
                "owner",
                name="saved_search_unique_name_per_owner",
                violation_error_message=_("You already have a saved search with that name."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"{reverse('responses:search')}?{self.querystring()}"

    def querystring(self) -> str:
        """The search page's address parameters that run this search again."""
        from django.http import QueryDict

        params = QueryDict(mutable=True)
        if self.query:
            params["q"] = self.query
        for key, values in sorted(self.filters.items()):
            params.setlist(key, [str(value) for value in (values if isinstance(values, list) else [values])])
        return params.urlencode()

    def set_email_daily(self, on: bool) -> None:
        """Turn the daily e-mail on or off; turned on, it counts new matches from now, not from the search's saving."""
        self.email_daily = on
        fields = ["email_daily", "updated_at"]
        if on:
            self.last_emailed_at = timezone.now()
            fields.append("last_emailed_at")
        self.save(update_fields=fields)

    @property
    def new_matches_since(self) -> datetime.datetime:
        """Responses created after this moment are new to the next e-mail."""
        return self.last_emailed_at or self.created_at
