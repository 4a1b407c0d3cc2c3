"""Importing received submissions to one consultation from a CSV or XLSX file.

One row is one organisation's submission. Besides the fixed columns, a column per question
("Q1", "Q 1", "Question 1") holds that organisation's answer, and a column per topic (named after
the topic or its slug) its stance. Imported submissions have the status "received" and belong to
their organisation: the person importing them does not become their owner.
"""

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.utils import bulk_create_with_history

from consultations.models import Consultation
from responses import matrix
from responses.campaigns import campaigns_schedule_recompute
from responses.models import Answer, Channel, Position, Response, ResponseStatus, Stance
from responses.search import schedule_response_refresh
from stakeholders.importers import BATCH_SIZE, OrganisationDirectory, SlugAllocator, display_kind, parse_kind
from stakeholders.importing import Cell, Field, Importer, RowResult, parse_choice, parse_date, parse_text
from stakeholders.models import Organisation, OrganisationKind
from stakeholders.search import schedule_organisation_refresh

parse_channel = parse_choice(
    Channel,
    synonyms={"mail": Channel.EMAIL, "post": Channel.LETTER, "paper": Channel.LETTER, "online": Channel.WEB_FORM},
)
parse_stance = parse_choice(
    Stance,
    synonyms={
        "strongly support": Stance.STRONGLY_SUPPORTS,
        "support": Stance.SUPPORTS,
        "for": Stance.SUPPORTS,
        "mixed": Stance.NEUTRAL,
        "oppose": Stance.OPPOSES,
        "against": Stance.OPPOSES,
        "strongly oppose": Stance.STRONGLY_OPPOSES,
        "n/a": Stance.NOT_ADDRESSED,
        "none": Stance.NOT_ADDRESSED,
    },
)


def parse_received_on(value: Cell) -> datetime.date:
    received_on = parse_date(value)
    if received_on > timezone.localdate():
        raise ValidationError(_("The date %(date)s is in the future.") % {"date": received_on.isoformat()})
    return received_on


def display_choice(choices: Any) -> Any:
    return lambda value: str(choices(value).label) if value else ""


def display_long_text(value: str | None) -> str:
    return Truncator(value or "").chars(80)


class SubmissionImporter(Importer):
    noun_plural = gettext_lazy("submissions")

    def __init__(self, consultation: Consultation) -> None:
        self.consultation = consultation
        self.template_filename = f"{consultation.slug}-submissions-import-template"[:120]
        self.questions = list(consultation.questions.order_by("order", "pk"))
        self.topics = list(consultation.topics.order_by("order", "pk"))

    def get_fields(self) -> list[Field]:
        fields = [
            Field(
                "organisation",
                gettext_lazy("Organisation"),
                required=True,
                help_text=gettext_lazy(
                    "Name or slug of the organisation that sent the submission. An organisation not yet in "
                    "Consultrack is created when the Kind column gives its kind."
                ),
                synonyms=(
                    "organization",
                    "organisation name",
                    "organization name",
                    "name",
                    "stakeholder",
                    "respondent",
                ),
                parse=parse_text(max_length=255),
                example="Internet Watch Foundation",
            ),
            Field(
                "kind",
                gettext_lazy("Kind"),
                help_text=gettext_lazy(
                    "Only for organisations not yet in Consultrack: Company, Industry association, NGO, Government, "
                    "Regulator, Intergovernmental body, Academia, Individual or Other."
                ),
                synonyms=("type", "organisation kind", "organisation type", "organization type"),
                parse=parse_kind,
                display=display_kind,
                example="NGO",
            ),
            Field(
                "channel",
                gettext_lazy("Channel"),
                help_text=gettext_lazy("Portal, E-mail, Letter or Web form."),
                synonyms=("received by", "received via", "via", "medium"),
                parse=parse_channel,
                display=display_choice(Channel),
                example="E-mail",
            ),
            Field(
                "received_on",
                gettext_lazy("Received on"),
                help_text=gettext_lazy("The date it arrived: yyyy-mm-dd or dd/mm/yyyy (or a date cell in Excel)."),
                synonyms=("received", "date", "date received", "received date", "submitted on", "submission date"),
                parse=parse_received_on,
                example=timezone.localdate().isoformat(),
            ),
            Field(
                "summary",
                gettext_lazy("Summary"),
                help_text=gettext_lazy("A short account of what the submission says."),
                synonyms=("abstract", "description", "overview"),
                parse=parse_text(),
                display=display_long_text,
                example=_("Supports the framework; asks for flexibility on reporting mechanisms."),
            ),
        ]
        for question in self.questions:
            number = question.number
            fields.append(
                Field(
                    f"question_{question.pk}",
                    f"Q{number}",
                    help_text=_("Answer to question %(number)s: %(text)s")
                    % {"number": number, "text": Truncator(question.text).chars(120)},
                    synonyms=(f"Q {number}", f"Question {number}", f"Answer {number}", f"A{number}"),
                    parse=parse_text(),
                    display=display_long_text,
                    example=_("Answer to question %(number)s") % {"number": number},
                    # Headings such as "Q3 - Which capacities first?" name their question first.
                    header_pattern=re.compile(
                        rf"^\s*(?:q|question)\s*\.?\s*{re.escape(number)}(?![0-9a-z])", re.IGNORECASE
                    ),
                )
            )
        stances = ", ".join(str(label) for _value, label in Stance.choices)
        for topic in self.topics:
            fields.append(
                Field(
                    f"topic_{topic.pk}",
                    topic.name,
                    help_text=_("Stance on the topic “%(topic)s”: %(stances)s.")
                    % {"topic": topic.name, "stances": stances},
                    synonyms=(topic.slug,),
                    parse=parse_stance,
                    display=display_choice(Stance),
                    example=str(Stance.SUPPORTS.label),
                )
            )
        return fields

    def prepare(self) -> None:
        self.directory = OrganisationDirectory()
        self.existing: dict[int, Response] = {}
        for response in self.consultation.responses.order_by("created_at"):
            self.existing.setdefault(response.organisation_id, response)
        # Organisation key -> the row of this file that has its submission.
        self.rows_by_organisation: dict[tuple[str, Any], int] = {}

    def clean_row(self, row: RowResult) -> None:
        values = row.values
        name = values["organisation"]
        if not name:
            return
        try:
            organisation_id = self.directory.find(name)
        except ValidationError as exc:  # the name fits several organisations
            row.add_error("organisation", exc.messages[0])
            return
        if organisation_id is None and row.has_error("kind"):
            return
        if organisation_id is None and not values.get("kind"):
            row.add_error(
                "organisation",
                _(
                    "Unknown organisation “%(name)s”: add it first, or give its kind in a Kind column "
                    "so the import creates it."
                )
                % {"name": name},
            )
            return
        key = ("id", organisation_id) if organisation_id else self.directory.new_key(name)
        if key in self.rows_by_organisation:
            row.add_error(
                "organisation",
                _("Row %(row)d already has a submission from “%(name)s”: one submission per organisation.")
                % {"row": self.rows_by_organisation[key], "name": name},
            )
            return
        existing = self.existing.get(organisation_id) if organisation_id else None
        if existing is not None:
            when = date_format(existing.received_on) if existing.received_on else _("no date")
            row.add_error(
                "organisation",
                _(
                    "“%(name)s” already has a response to this consultation (%(status)s, %(when)s, "
                    "logged %(logged)s): edit that one instead."
                )
                % {
                    "name": self.directory.name_of(organisation_id),
                    "status": existing.get_status_display(),
                    "when": when,
                    "logged": date_format(timezone.localtime(existing.created_at).date()),
                },
            )
            return
        if not row.ok:
            return
        self.rows_by_organisation[key] = row.number
        values["_organisation_id"] = organisation_id
        row.note = (
            _("existing: %(name)s") % {"name": self.directory.name_of(organisation_id)}
            if organisation_id
            else _("new organisation")
        )

    def save(self, rows: list[RowResult]) -> str:
        """Write the rows this importer validated, in a handful of bulk queries whatever their number."""
        slugs = SlugAllocator(self.directory)
        new_organisations = [
            Organisation(
                name=row.values["organisation"],
                slug=slugs.allocate(row.values["organisation"]),
                kind=row.values.get("kind") or OrganisationKind.OTHER,
            )
            for row in rows
            if row.values["_organisation_id"] is None
        ]
        created = iter(bulk_create_with_history(new_organisations, Organisation, batch_size=BATCH_SIZE))
        responses = [
            Response(
                consultation=self.consultation,
                organisation_id=row.values["_organisation_id"] or next(created).pk,
                status=ResponseStatus.RECEIVED,
                channel=row.values.get("channel") or "",
                received_on=row.values.get("received_on"),
                summary=row.values.get("summary") or "",
                # A received submission is the organisation's, not the importing user's.
                owner=None,
            )
            for row in rows
        ]
        responses = bulk_create_with_history(responses, Response, batch_size=BATCH_SIZE)
        answers, positions = [], []
        for row, response in zip(rows, responses, strict=True):
            for question in self.questions:
                if text := row.values.get(f"question_{question.pk}"):
                    answers.append(Answer(response=response, question=question, text=text))
            for topic in self.topics:
                if stance := row.values.get(f"topic_{topic.pk}"):
                    positions.append(Position(response=response, topic=topic, stance=stance))
        bulk_create_with_history(answers, Answer, batch_size=BATCH_SIZE)
        bulk_create_with_history(positions, Position, batch_size=BATCH_SIZE)
        # One recomputation of the consultation's campaigns for the whole file, once it is committed.
        campaigns_schedule_recompute(consultation_id=self.consultation.pk)
        # Bulk writes send no signals: index what was imported (and the new organisations) after commit.
        schedule_response_refresh(response.pk for response in responses)
        schedule_organisation_refresh(organisation.pk for organisation in new_organisations)
        matrix.forget(self.consultation.pk)  # bulk inserts send no signal
        details = [
            ngettext("%(count)d new organisation", "%(count)d new organisations", len(new_organisations))
            % {"count": len(new_organisations)},
            ngettext("%(count)d answer", "%(count)d answers", len(answers)) % {"count": len(answers)},
            ngettext("%(count)d position", "%(count)d positions", len(positions)) % {"count": len(positions)},
        ]
        return ngettext(
            "Imported %(count)d submission: %(details)s.", "Imported %(count)d submissions: %(details)s.", len(rows)
        ) % {"count": len(rows), "details": ", ".join(details)}
