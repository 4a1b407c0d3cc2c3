import datetime
import re
import unicodedata
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import TIME_ZONE_CHOICES
from stakeholders.models import Organisation


def parse_day_offsets(text: str) -> list[int]:
    """'14, 7, 3, 1, 0' -> [14, 7, 3, 1, 0]: days before a deadline, largest first, no repeats."""
    days: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) > 365:
            raise ValidationError(
                _("“%(part)s” is not a number of days between 0 and 365."), code="bad_offset", params={"part": part}
            )
        days.add(int(part))
    return sorted(days, reverse=True)


def validate_day_offsets(text: str) -> None:
    parse_day_offsets(text)


# Slugs a consultation may not take, because its page address would be another page's.
RESERVED_SLUGS = frozenset({"new"})


def free_slug(text: str, *, taken: set[str], max_length: int, fallback: str) -> str:
    """A slug made from `text` that is not in `taken`: "name", then "name-2", "name-3"..."""
    base = slugify(text)[:max_length].strip("-") or fallback
    candidate, number = base, 2
    while candidate in taken:
        suffix = f"-{number}"
        candidate = base[: max_length - len(suffix)].rstrip("-") + suffix
        number += 1
    return candidate


def unique_slug(
    queryset: models.QuerySet, text: str, *, max_length: int, fallback: str, reserved: frozenset[str] = frozenset()
) -> str:
    """A slug made from `text` that no row of `queryset` uses yet.

    Pass a queryset that already leaves out the row being edited, so it keeps its own slug.
    """
    base = slugify(text)[:max_length].strip("-") or fallback
    taken = set(queryset.filter(slug__startswith=base).values_list("slug", flat=True)) | reserved
    return free_slug(text, taken=taken, max_length=max_length, fallback=fallback)


def topic_name_key(name: str) -> str:
    """The form of a topic's name under which topics of different consultations are taken as one.

    Case, accents, punctuation and spacing do not count: "Access to user data", "access to user-data"
    and "Accès to user data." give the same key.
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[\W_]+", " ", letters).split())[:200]


class TagQuerySet(models.QuerySet):
    def named(self, names: list[str]) -> list["Tag"]:
        """The tags with these names, creating those that do not exist yet (names match case-insensitively)."""
        tags: list[Tag] = []
        for raw in names:
            name = " ".join(raw.split())[:100]
            if not name or any(tag.name.lower() == name.lower() for tag in tags):
                continue
            tag = self.filter(name__iexact=name).first()
            if tag is None:
                tag = self.create(name=name, slug=unique_slug(self.all(), name, max_length=100, fallback="tag"))
            tags.append(tag)
        return tags


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Language(models.TextChoices):
    """The language a consultation is held in: responses to it are indexed and searched in that language."""

    ENGLISH = "en", _("English")
    FRENCH = "fr", _("French")


# PostgreSQL's text-search configuration for each language: stemming and stop words.
SEARCH_CONFIGS: dict[str, str] = {Language.ENGLISH: "english", Language.FRENCH: "french"}
DEFAULT_SEARCH_CONFIG = "english"


class ConsultationStatus(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ConsultationQuerySet(models.QuerySet):
    """Time windows are computed against `now`, which tests and scans may pass in."""

    def upcoming(self, now: datetime.datetime | None = None) -> "ConsultationQuerySet":
        return self.filter(opens_at__gt=now or timezone.now())

    def open(self, now: datetime.datetime | None = None) -> "ConsultationQuerySet":
        now = now or timezone.now()
        return self.filter(models.Q(opens_at__isnull=True) | models.Q(opens_at__lte=now), deadline__gt=now)

    def closed(self, now: datetime.datetime | None = None) -> "ConsultationQuerySet":
        return self.filter(deadline__lte=now or timezone.now())

    def closing_within(self, *, days: int, now: datetime.datetime | None = None) -> "ConsultationQuerySet":
        now = now or timezone.now()
        return self.open(now).filter(deadline__lte=now + datetime.timedelta(days=days))

    def closing_within_calendar_days(
        self, *, days: int, zone: datetime.tzinfo, now: datetime.datetime | None = None
    ) -> "ConsultationQuerySet":
        """Open, and closing on one of the next `days` calendar days of `zone` (today counts as day 0).

        A deadline "30 days left" as read in `zone` is in the window for days=30; one with 31 left is not.
        """
        now = now or timezone.now()
        last_day = now.astimezone(zone).date() + datetime.timedelta(days=days)
        end = datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
        return self.open(now).filter(deadline__lt=end)

    def recently_closed(self, *, days: int, now: datetime.datetime | None = None) -> "ConsultationQuerySet":
        now = now or timezone.now()
        return self.closed(now).filter(deadline__gt=now - datetime.timedelta(days=days))

    def published(self) -> "ConsultationQuerySet":
        return self.filter(published=True)

    def with_response_count(self) -> "ConsultationQuerySet":
        """Annotate `response_count`, counted per consultation shown (a subquery) rather than by grouping
        every response of every consultation in the list before a page is cut from it."""
        # The response model through the reverse relation: this app may not import responses.
        response_model = Consultation._meta.get_field("responses").related_model
        counted = (
            response_model.objects.filter(consultation=models.OuterRef("pk"))
            .order_by()
            .values("consultation")
            .annotate(number=models.Count("pk"))
            .values("number")
        )
        return self.annotate(response_count=Coalesce(models.Subquery(counted), 0, output_field=models.IntegerField()))


class Consultation(models.Model):
    """A public consultation: who consults, on which questions, by when."""

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=255, unique=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True, help_text=_("The issuer's own reference."))
    issuer = models.ForeignKey(
        Organisation,
        verbose_name=_("issuing body"),
        on_delete=models.PROTECT,
        related_name="issued_consultations",
    )
    url = models.URLField(_("URL"), blank=True, max_length=500)
    summary = models.TextField(_("summary"), blank=True)
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"))
    time_zone = models.CharField(
        _("issuer's time zone"),
        max_length=64,
        choices=TIME_ZONE_CHOICES,
        default="UTC",
        help_text=_("The zone in which the issuer states the deadline."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=Language.choices,
        default=Language.ENGLISH,
        help_text=_("The language of the consultation and its responses: search matches word forms in it."),
    )
    published = models.BooleanField(
        _("published"), default=False, help_text=_("Show a public page for this consultation.")
    )
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("owners"), blank=True, related_name="owned_consultations"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="consultations")
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("watchers"),
        blank=True,
        related_name="watched_consultations",
        help_text=_("Team members who follow this consultation and are reminded of its deadline."),
    )
    # Review of our own drafts to this consultation.
    required_approvals = models.PositiveSmallIntegerField(
        _("approvals needed"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("How many reviewers must approve a draft before it can be submitted."),
    )
    approval_needs_resolved_threads = models.BooleanField(
        _("approval needs every thread resolved"),
        default=False,
        help_text=_("Refuse approval while a comment thread on the draft is still open."),
    )
    # Deadline reminders.
    reminder_offsets = models.CharField(
        _("reminder days"),
        max_length=100,
        blank=True,
        validators=[validate_day_offsets],
        help_text=_("Days before the deadline on which to remind, e.g. 14, 7, 3, 1, 0. Blank: the default."),
    )
    remind_invited_contacts = models.BooleanField(
        _("remind invited organisations"),
        default=False,
        help_text=_(
            "Also e-mail the contacts of invited organisations that have not responded (they can unsubscribe)."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[owners, tags])
    objects = ConsultationQuerySet.as_manager()

    class Meta:
        ordering = ["deadline"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens_at__isnull=True) | models.Q(deadline__gt=models.F("opens_at")),
                name="consultation_deadline_after_opening",
                violation_error_message=_("The deadline must come after the opening date."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("consultations:consultation-detail", args=[self.slug])

    @property
    def search_config(self) -> str:
        """The PostgreSQL text-search configuration of this consultation's language."""
        return SEARCH_CONFIGS.get(self.language, DEFAULT_SEARCH_CONFIG)

    @classmethod
    def unique_slug_for(cls, title: str, *, exclude_pk: int | None = None) -> str:
        return unique_slug(
            cls.objects.exclude(pk=exclude_pk),
            title,
            max_length=cls._meta.get_field("slug").max_length,
            fallback="consultation",
            reserved=RESERVED_SLUGS,
        )

    def clean(self) -> None:
        if self.opens_at and self.deadline and self.deadline <= self.opens_at:
            raise ValidationError(
                {"deadline": _("The deadline must come after the opening date.")}, code="deadline_before_opening"
            )

    def reminder_offset_days(self) -> list[int]:
        """Days before the deadline on which reminders go out, largest first."""
        return parse_day_offsets(self.reminder_offsets) if self.reminder_offsets else list(settings.REMINDER_OFFSETS)

    def status_at(self, now: datetime.datetime) -> ConsultationStatus:
        if self.opens_at and now < self.opens_at:
            return ConsultationStatus.UPCOMING
        if now < self.deadline:
            return ConsultationStatus.OPEN
        return ConsultationStatus.CLOSED

    @property
    def status(self) -> ConsultationStatus:
        return self.status_at(timezone.now())

    @property
    def issuer_zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def deadline_in_issuer_zone(self) -> datetime.datetime:
        return self.deadline.astimezone(self.issuer_zone)

    def days_left(self, now: datetime.datetime | None = None, *, zone: datetime.tzinfo | None = None) -> int:
        """Whole calendar days until the deadline, counted in `zone` (by default the issuer's; negative once past)."""
        zone = zone or self.issuer_zone
        now = (now or timezone.now()).astimezone(zone)
        return (self.deadline.astimezone(zone).date() - now.date()).days

    def days_left_for_viewer(self, now: datetime.datetime | None = None) -> int:
        """Whole calendar days until the deadline as the viewer's calendar counts them (the active zone)."""
        return self.days_left(now, zone=timezone.get_current_timezone())

    def days_since_deadline(self, now: datetime.datetime | None = None) -> int:
        """Whole calendar days since the deadline passed, in the issuer's zone: "closed N days ago"."""
        return -self.days_left(now)


class Question(models.Model):
    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="questions"
    )
    number = models.CharField(_("number"), max_length=20, help_text=_("As the issuer numbers it, e.g. 3 or 4b."))
    text = models.TextField(_("text"))
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["consultation", "order", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "number"],
                name="question_unique_number_per_consultation",
                violation_error_message=_("This consultation already has a question with that number."),
            )
        ]

    def __str__(self) -> str:
        return f"Q{self.number}. {self.text[:80]}"


class TopicQuerySet(models.QuerySet):
    def named_like(self, name: str) -> "TopicQuerySet":
        """Topics, in any consultation, whose name is this one but for case, accents, punctuation and spacing."""
        return self.filter(name_key=topic_name_key(name))

    def on_subject(self, *, tag: Tag | None = None, name: str = "") -> "TopicQuerySet":
        """Topics that are the same subject across consultations: see README, "Positions across consultations".

        By tag: topics carrying the tag, topics named as the tag, and topics named like any tagged topic
        (so tagging one consultation's "Access to user data" brings in every later topic of that name).
        By name: topics named like `name`.
        """
        if tag is not None:
            # A name of only punctuation has an empty key, which must not match every other such name.
            tagged_names = Topic.objects.filter(tags=tag).exclude(name_key="").values("name_key")
            same_subject = models.Q(tags=tag) | models.Q(name_key__in=tagged_names)
            if tag_key := topic_name_key(tag.name):
                same_subject |= models.Q(name_key=tag_key)
            return self.filter(same_subject).distinct()
        if key := topic_name_key(name):
            return self.filter(name_key=key)
        return self.none()


class Topic(models.Model):
    """An issue within a consultation on which organisations' positions are coded.

    A topic belongs to one consultation; `tags` and `name_key` say which topics of other consultations
    are the same subject, so an organisation's positions can be followed over the years.
    """

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="topics"
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    tags = models.ManyToManyField(
        Tag,
        verbose_name=_("tags"),
        blank=True,
        related_name="topics",
        help_text=_("Subjects this topic shares with topics of other consultations."),
    )
    # The name with case, accents, punctuation and spacing removed: topics of the same key are one subject.
    name_key = models.CharField(_("name key"), max_length=200, editable=False, db_index=True, default="")

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["consultation", "order", "pk"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "slug"],
                name="topic_unique_slug_per_consultation",
                violation_error_message=_("This consultation already has a topic with that slug."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name_key = topic_name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)


class InvitationQuerySet(models.QuerySet):
    def with_responded(self) -> "InvitationQuerySet":
        """Annotate `responded`: the organisation has a response (any status) to this consultation.

        Goes through the reverse relation `organisation.responses`, since this app may not import responses.
        """
        return self.annotate(
            responded=models.Exists(
                Organisation.objects.filter(
                    pk=models.OuterRef("organisation_id"),
                    responses__consultation=models.OuterRef("consultation_id"),
                    responses__deleted_at__isnull=True,
                )
            )
        )


class Invitation(models.Model):
    """An organisation asked to respond to a consultation."""

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="invitations"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="invitations"
    )
    invited_at = models.DateTimeField(_("invited"), default=timezone.now)
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["consultation", "organisation__name"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "organisation"],
                name="invitation_unique_per_organisation",
                violation_error_message=_("This organisation is already invited."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.consultation}"
