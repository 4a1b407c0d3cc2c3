"""What goes into a response pack, read from the database in batches.

Every builder (PDF, DOCX, XLSX, CSV, attachments) reads through one PackSource, so memory holds one
batch of responses at a time, whatever the size of the consultation, and so that every batch boundary
is a point where progress is saved and a cancelled job stops.
"""

import datetime
import itertools
import unicodedata
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from django.conf import settings
from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_countries import countries

from consultations.models import Consultation, Question, Topic
from exports.filters import PackFilterSet
from exports.models import ExportStage
from responses.models import Answer, Attachment, Channel, Position, Response, ResponseStatus, Stance
from stakeholders.models import OrganisationKind

T = TypeVar("T")

# Short forms of the stances for the matrix, where a column is narrow; the legend spells them out.
# (U+2212 is the typographic minus, as wide as the plus.)
STANCE_SHORT = {
    Stance.STRONGLY_SUPPORTS: "++",
    Stance.SUPPORTS: "+",
    Stance.NEUTRAL: "±",
    Stance.OPPOSES: "\u2212",
    Stance.STRONGLY_OPPOSES: "\u2212\u2212",
    Stance.NOT_ADDRESSED: "·",
}


class PackError(Exception):
    """A reason a pack cannot be built, worded for the person who asked for it."""


class BuildStopped(Exception):
    """The job was cancelled, or another worker took it over: stop quietly and keep nothing."""


class Progress(Protocol):
    def start(self, *, total: int) -> None: ...
    def stage(self, stage: ExportStage) -> None: ...
    def advance(self, count: int = 1) -> None: ...
    def checkpoint(self) -> None: ...


class NullProgress:
    """Progress for builds nobody watches (tests, benchmarks)."""

    def start(self, *, total: int) -> None:
        pass

    def stage(self, stage: ExportStage) -> None:
        pass

    def advance(self, count: int = 1) -> None:
        pass

    def checkpoint(self) -> None:
        pass


def text_direction(text: str) -> str:
    """'rtl' when the first letter with a strong direction is Arabic or Hebrew, else 'ltr'."""
    for char in text or "":
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return "rtl"
        if direction == "L":
            return "ltr"
    return "ltr"


@dataclass(frozen=True)
class PackCounts:
    responses: int
    organisations: int
    positions: int
    answers: int
    attachments: int
    attachment_bytes: int

    def as_dict(self) -> dict[str, int]:
        return {
            "responses": self.responses,
            "organisations": self.organisations,
            "positions": self.positions,
            "answers": self.answers,
            "attachments": self.attachments,
            "attachment_bytes": self.attachment_bytes,
        }


@dataclass
class MatrixRow:
    response_id: int
    organisation: str
    kind: str
    country: str
    # One (stance value, short form, label) per topic of the consultation, in topic order.
    cells: list[tuple[str, str, str]] = field(default_factory=list)


class PackSource:
    """The responses of one consultation through the pack's filters, with everything builders need."""

    def __init__(
        self,
        *,
        consultation: Consultation,
        filters: dict,
        progress: Progress | None = None,
        batch_size: int | None = None,
        time_zone: str | None = None,
        generated_at: datetime.datetime | None = None,
    ) -> None:
        self.consultation = consultation
        self.filterset = PackFilterSet(filters, consultation=consultation)
        if not self.filterset.is_valid():
            raise PackError(_("The filters of this pack no longer apply (%s).") % self.filterset.error_text())
        self.filters = self.filterset.to_json()
        self.progress: Progress = progress or NullProgress()
        self.batch_size = max(1, batch_size or settings.EXPORT_BATCH_SIZE)
        self.zone = zoneinfo.ZoneInfo(time_zone or settings.TIME_ZONE)
        self.generated_at = (generated_at or timezone.now()).astimezone(self.zone)
        # Choice labels translated once: get_FOO_display() on lazy labels costs more than the rest of a row.
        self.stance_labels = {value: str(label) for value, label in Stance.choices}
        self.kind_labels = {value: str(label) for value, label in OrganisationKind.choices}
        self.status_labels = {value: str(label) for value, label in ResponseStatus.choices}
        self.channel_labels = {value: str(label) for value, label in Channel.choices}
        self.topics: list[Topic] = list(consultation.topics.order_by("order", "pk"))
        self.questions: list[Question] = list(consultation.questions.order_by("order", "pk"))
        self._counts: PackCounts | None = None

    # The querysets -------------------------------------------------------------------------------

    def responses(self) -> QuerySet[Response]:
        return self.filterset.qs.order_by("organisation__name", "pk")

    def _response_ids(self) -> QuerySet:
        return self.filterset.qs.values("pk")

    def counts(self) -> PackCounts:
        if self._counts is None:
            ids = self._response_ids()
            totals = self.filterset.qs.aggregate(
                responses=Count("pk"), organisations=Count("organisation", distinct=True)
            )
            attachments = Attachment.objects.filter(response__in=ids).aggregate(n=Count("pk"), size=Sum("size"))
            self._counts = PackCounts(
                responses=totals["responses"],
                organisations=totals["organisations"],
                positions=Position.objects.filter(response__in=ids).count(),
                answers=Answer.objects.filter(response__in=ids).count(),
                attachments=attachments["n"],
                attachment_bytes=attachments["size"] or 0,
            )
        return self._counts

    def describe_filters(self) -> list[tuple[str, str]]:
        return self.filterset.describe()

    # Batched reading -----------------------------------------------------------------------------

    def _in_batches(self, items: Iterable[T], *, count_progress: bool) -> Iterator[T]:
        """Yield items, saving progress (and stopping a cancelled job) after every batch."""
        for index, item in enumerate(items, start=1):
            yield item
            if count_progress:
                self.progress.advance()
            if index % self.batch_size == 0:
                self.progress.checkpoint()
        self.progress.checkpoint()

    def iter_responses(self) -> Iterator[Response]:
        """Each response with its organisation, positions, answers and attachments; one batch in memory."""
        queryset = (
            self.responses()
            .select_related("organisation", "owner")
            .prefetch_related(
                Prefetch(
                    "positions", queryset=Position.objects.select_related("topic").order_by("topic__order", "topic")
                ),
                Prefetch("answers", queryset=Answer.objects.select_related("question").order_by("question__order")),
                Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "pk")),
            )
        )
        return self._in_batches(queryset.iterator(chunk_size=self.batch_size), count_progress=True)

    def iter_matrix(self) -> Iterator[MatrixRow]:
        """The stance matrix, organisation by topic: one query over responses and their positions.

        The rows come ordered by response, so grouping them needs only the current response in memory.
        A response without positions still gets a row, every cell "not addressed".
        """
        kind_labels, stance_labels = self.kind_labels, self.stance_labels
        not_addressed = Stance.NOT_ADDRESSED.value
        rows = self.responses().values_list(
            "pk",
            "organisation__name",
            "organisation__kind",
            "organisation__country",
            "positions__topic_id",
            "positions__stance",
        )

        def build(current: list) -> MatrixRow:
            pk, name, kind, country = current[0][:4]
            stances = {topic_id: stance for *_, topic_id, stance in current if topic_id is not None}
            cells = []
            for topic in self.topics:
                stance = stances.get(topic.pk, not_addressed)
                cells.append((stance, STANCE_SHORT[Stance(stance)], stance_labels[stance]))
            return MatrixRow(pk, name, kind_labels.get(kind, kind), countries.name(country) if country else "", cells)

        current: list = []
        for row in self._in_batches(rows.iterator(chunk_size=self.batch_size * 10), count_progress=False):
            if current and current[0][0] != row[0]:
                yield build(current)
                current = []
            current.append(row)
        if current:
            yield build(current)

    def iter_answers(self, question: Question) -> Iterator[Answer]:
        """Every answer of the pack's responses to one question, in the order of the responses.

        The responses are read a batch at a time, then that batch's answers by response. (A single
        query ordered by organisation name made PostgreSQL, holding it in a cursor, choose a plan that
        took a minute and a half per question at 200,000 responses.)
        """

        def answers() -> Iterator[Answer]:
            ids = self.responses().values_list("pk", flat=True).iterator(chunk_size=self.batch_size)
            while batch := list(itertools.islice(ids, self.batch_size)):
                found = {
                    answer.response_id: answer
                    for answer in Answer.objects.filter(question=question, response_id__in=batch)
                    .select_related("response__organisation")
                    .only("text", "question", "response", "response__organisation", "response__organisation__name")
                }
                # One answer at most per response and question (answer_unique_per_question).
                yield from (found[pk] for pk in batch if pk in found)

        return self._in_batches(answers(), count_progress=False)

    def iter_attachments(self, *, count_progress: bool = False) -> Iterator[Attachment]:
        """Attachments of the pack's responses, grouped by organisation (slug order), oldest first."""
        attachments = (
            Attachment.objects.filter(response__in=self._response_ids())
            .select_related("response__organisation")
            .order_by("response__organisation__slug", "uploaded_at", "pk")
        )
        return self._in_batches(attachments.iterator(chunk_size=self.batch_size), count_progress=count_progress)

    # Presentation helpers shared by the builders --------------------------------------------------

    def local(self, moment: datetime.datetime | None) -> datetime.datetime | None:
        return moment.astimezone(self.zone) if moment else None

    def deadline_text(self) -> str:
        """The deadline as the issuer states it, in the issuer's zone, which it names."""
        deadline = self.consultation.deadline_in_issuer_zone
        return f"{date_format(deadline, 'DATETIME_FORMAT')} ({self.consultation.time_zone})"
