"""The columns of responses.xlsx and responses.csv, shared so that both hold the same table."""

import datetime

from django.utils.translation import gettext as _
from django_countries import countries

from exports.pack import PackSource
from responses.models import Response, Stance


def response_header(source: PackSource) -> list[str]:
    """Fixed columns, then one per topic (the stance) and one per question (the answer)."""
    header = [
        _("Organisation"),
        _("Organisation slug"),
        _("Kind"),
        _("Country"),
        _("Status"),
        _("Channel"),
        _("Received on"),
        _("Submitted at"),
        _("Summary"),
        _("Attachments"),
    ]
    header += [_("Stance: %(topic)s") % {"topic": topic.name} for topic in source.topics]
    header += [
        _("Q%(number)s: %(text)s") % {"number": q.number, "text": _shorten(q.text, 60)} for q in source.questions
    ]
    return header


def response_row(source: PackSource, response: Response) -> list[object]:
    """One response as cells: dates stay dates, a topic it did not address says so."""
    organisation = response.organisation
    stances = {position.topic_id: source.stance_labels[position.stance] for position in response.positions.all()}
    answers = {answer.question_id: answer.text for answer in response.answers.all()}
    submitted_at = source.local(response.submitted_at)
    not_addressed = source.stance_labels[Stance.NOT_ADDRESSED]
    row: list[object] = [
        organisation.name,
        organisation.slug,
        source.kind_labels.get(organisation.kind, organisation.kind),
        countries.name(organisation.country) if organisation.country else "",
        source.status_labels.get(response.status, response.status),
        source.channel_labels.get(response.channel, response.channel),
        response.received_on,
        submitted_at.replace(tzinfo=None) if submitted_at else None,
        response.summary,
        len(response.attachments.all()),
    ]
    row += [stances.get(topic.pk, not_addressed) for topic in source.topics]
    row += [answers.get(question.pk, "") for question in source.questions]
    return row


def position_header() -> list[str]:
    return [_("Organisation"), _("Topic"), _("Stance"), _("Summary"), _("Quote")]


def position_rows(source: PackSource, response: Response) -> list[list[object]]:
    return [
        [response.organisation.name, p.topic.name, source.stance_labels[p.stance], p.summary, p.quote]
        for p in response.positions.all()
    ]


def answer_header() -> list[str]:
    return [_("Organisation"), _("Question number"), _("Question"), _("Answer")]


def answer_rows(response: Response) -> list[list[object]]:
    return [[response.organisation.name, a.question.number, a.question.text, a.text] for a in response.answers.all()]


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def as_text(value: object) -> str:
    """A cell as CSV text: ISO dates, empty for nothing."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# A cell whose text starts with one of these (after any spaces) is run as a formula by spreadsheet programs
# (CSV/formula injection, OWASP): = + - @, tab and carriage return, and the full-width forms some locales of
# Excel also accept.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS) or text.lstrip(" \n").startswith(FORMULA_TRIGGERS)


def neutralise_formula(text: str) -> str:
    """Text a spreadsheet shows as typed, never runs: a leading apostrophe where it could start a formula."""
    return "'" + text if looks_like_formula(text) else text
