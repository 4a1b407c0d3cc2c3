"""The versions of a response, read back from django-simple-history.

Every save of a draft bumps `Response.version` and writes a historical row; the first row carrying a
version number says who made it and when, the last says what it finally held. Answers and positions
have their own history, read as of that moment.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Max, Min

from responses.models import Answer, Position, Response


@dataclass(frozen=True)
class VersionInfo:
    number: int
    author: object | None
    saved_at: datetime.datetime
    change_reason: str = ""


@dataclass(frozen=True)
class CodedPosition:
    stance: str
    summary: str = ""
    quote: str = ""


@dataclass
class VersionSnapshot:
    number: int
    author: object | None
    saved_at: datetime.datetime
    body: str
    summary: str
    # question id -> text; topic id -> coded position
    answers: dict[int, str] = field(default_factory=dict)
    positions: dict[int, CodedPosition] = field(default_factory=dict)


class UnknownVersion(LookupError):
    pass


def response_versions(response: Response) -> list[VersionInfo]:
    """Every version of `response`, newest first, with who saved it and when."""
    records = response.history.values("version").annotate(first_id=Min("history_id"), last_id=Max("history_id"))
    first_ids = [row["first_id"] for row in records]
    firsts = response.history.model.objects.filter(history_id__in=first_ids).select_related("history_user")
    versions = [
        VersionInfo(
            number=record.version,
            author=record.history_user,
            saved_at=record.history_date,
            change_reason=record.history_change_reason or "",
        )
        for record in firsts
    ]
    return sorted(versions, key=lambda info: info.number, reverse=True)


def version_snapshot(response: Response, number: int) -> VersionSnapshot:
    """What `response` held at version `number`: body, summary, answers and positions."""
    records = response.history.filter(version=number).select_related("history_user").order_by("history_id")
    first, last = records.first(), records.last()
    if first is None or last is None:
        raise UnknownVersion(number)
    as_of = last.history_date
    answers = {row.question_id: row.text for row in _latest_rows(Answer, response_id=response.pk, as_of=as_of)}
    positions = {
        row.topic_id: CodedPosition(stance=row.stance, summary=row.summary, quote=row.quote)
        for row in _latest_rows(Position, response_id=response.pk, as_of=as_of)
    }
    return VersionSnapshot(
        number=number,
        author=first.history_user,
        saved_at=first.history_date,
        body=last.body,
        summary=last.summary,
        answers=answers,
        positions=positions,
    )


def _latest_rows(model, *, response_id: int, as_of: datetime.datetime) -> list:
    """The rows of `model` for one response as they stood at `as_of` (deleted ones left out)."""
    latest: dict[int, object] = {}
    for row in model.history.filter(response_id=response_id, history_date__lte=as_of).order_by(
        "history_date", "history_id"
    ):
        latest[row.id] = row
    return [row for row in latest.values() if row.history_type != "-"]
