"""Positions across consultations: one organisation's stances on a subject over the years, or two side by side.

A topic belongs to one consultation. Topics of different consultations are taken as the same subject
when they carry the same tag or have the same name but for case, accents, punctuation and spacing
(see Topic.objects.on_subject and README, "Positions across consultations").
"""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.utils import timezone

from consultations.models import Consultation, Tag, Topic
from responses.models import Position
from stakeholders.models import Organisation

# Rows shown at most: a subject followed over decades stays far below this; everything-by-everyone would not.
ROWS_LIMIT = 500


@dataclass
class PositionRow:
    """One topic of one consultation, and what each organisation compared said on it."""

    consultation: Consultation
    topic: Topic
    cells: list[list[Position]] = field(default_factory=list)

    @property
    def year(self) -> int:
        """The year the consultation closed, on the viewer's calendar."""
        return timezone.localtime(self.consultation.deadline).year

    @property
    def agreement(self) -> str:
        """For two organisations: "agree" (same side), "disagree" (opposite sides), or "" (no side to compare)."""
        if len(self.cells) != 2 or not all(self.cells):
            return ""
        sides = [{position.side for position in cell} for cell in self.cells]
        if "" in sides[0] | sides[1] or len(sides[0]) != 1 or len(sides[1]) != 1:
            return ""
        return "agree" if sides[0] == sides[1] else "disagree"


@dataclass
class PositionsOverTime:
    organisations: list[Organisation]
    rows: list[PositionRow]
    truncated: bool
    topic_count: int
    consultation_count: int

    @property
    def years(self) -> list[int]:
        return sorted({row.year for row in self.rows})


def matched_topics(*, tag: Tag | None = None, name: str = ""):
    """The topics, in every consultation, that are the subject named by a tag or a topic name."""
    return Topic.objects.on_subject(tag=tag, name=name)


def positions_over_time(
    *, organisations: list[Organisation], tag: Tag | None = None, name: str = ""
) -> PositionsOverTime:
    """The positions of one or two organisations on a subject, oldest consultation first, in four queries.

    Without a subject: every position of a single organisation, or, for two, the topics both took a
    position on. Only positions of responses that reached the issuer count.
    """
    positions = Position.objects.on_record().of_organisations(organisations)
    if tag is not None or name.strip():
        topics = matched_topics(tag=tag, name=name)
        positions = positions.filter(topic__in=topics.values("pk"))
    elif len(organisations) > 1:
        for organisation in organisations:
            positions = positions.filter(
                Exists(
                    Position.objects.on_record().filter(topic=OuterRef("topic"), response__organisation=organisation)
                )
            )
    # Whole rows only: fetch one position more than fits, and cut before the row it would start.
    fetched = list(positions.in_consultation_order()[: ROWS_LIMIT * len(organisations) + 1])
    truncated = len(fetched) > ROWS_LIMIT * len(organisations)
    column = {organisation.pk: index for index, organisation in enumerate(organisations)}
    rows: dict[int, PositionRow] = {}
    for position in fetched:
        row = rows.get(position.topic_id)
        if row is None:
            if len(rows) == ROWS_LIMIT:
                truncated = True
                break
            row = rows[position.topic_id] = PositionRow(
                consultation=position.response.consultation,
                topic=position.topic,
                cells=[[] for _ in organisations],
            )
        row.cells[column[position.response.organisation_id]].append(position)
    ordered = list(rows.values())
    return PositionsOverTime(
        organisations=organisations,
        rows=ordered,
        truncated=truncated,
        topic_count=len(ordered),
        consultation_count=len({row.consultation.pk for row in ordered}),
    )
