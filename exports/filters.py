"""Which responses go into a pack: one FilterSet renders the request form and, in the worker, filters.

A job stores the filter form's data as JSON (lists of strings and ISO dates); the worker binds the
same FilterSet to it, so the page and the pack can never disagree on what a filter means.
"""

import datetime
from typing import Any

import django_filters
from crispy_forms.bootstrap import InlineCheckboxes
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from consultations.models import Consultation, Topic
from responses.models import Position, Response, ResponseStatus, Stance
from stakeholders.models import Organisation, OrganisationKind

# What a pack holds unless the requester says otherwise: what organisations sent and what we sent.
DEFAULT_STATUSES = [ResponseStatus.RECEIVED.value, ResponseStatus.SUBMITTED.value]


class PackFilterForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            InlineCheckboxes("status"),
            InlineCheckboxes("kind"),
            InlineCheckboxes("country"),
            "topic",
            Row(Column("received_from", css_class="col-sm-6"), Column("received_to", css_class="col-sm-6")),
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("received_from"), cleaned.get("received_to")
        if start and end and start > end:
            self.add_error(
                "received_to", forms.ValidationError(_("The end date comes before the start date."), code="order")
            )
        return cleaned


class PackFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=ResponseStatus.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=DEFAULT_STATUSES,
        help_text=_("None ticked: every status."),
    )
    kind = django_filters.MultipleChoiceFilter(
        label=_("Organisation kind"),
        field_name="organisation__kind",
        choices=OrganisationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every kind."),
    )
    country = django_filters.MultipleChoiceFilter(
        label=_("Country"),
        field_name="organisation__country",
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Countries of the organisations that responded. None ticked: every country."),
    )
    topic = django_filters.ModelMultipleChoiceFilter(
        label=_("Took a position on"),
        queryset=Topic.objects.none(),
        method="filter_topic",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Responses with a stance (other than “not addressed”) on any ticked topic."),
    )
    received_from = django_filters.DateFilter(
        label=_("Received on or after"),
        field_name="received_on",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = django_filters.DateFilter(
        label=_("Received on or before"),
        field_name="received_on",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Response
        fields: list[str] = []
        form = PackFilterForm

    def __init__(self, data: dict | None = None, *, consultation: Consultation, **kwargs: Any) -> None:
        super().__init__(data, queryset=Response.objects.filter(consultation=consultation), **kwargs)
        self.consultation = consultation
        self.filters["topic"].queryset = consultation.topics.all()
        codes = (
            Organisation.objects.filter(responses__consultation=consultation, responses__deleted_at__isnull=True)
            .exclude(country="")
            .values_list("country", flat=True)
            .order_by()
            .distinct()
        )
        self.filters["country"].extra["choices"] = sorted(
            ((code, countries.name(code)) for code in codes), key=lambda choice: choice[1]
        )

    def filter_topic(self, queryset: QuerySet, name: str, topics: QuerySet) -> QuerySet:
        if not topics:
            return queryset
        coded = Position.objects.filter(response=OuterRef("pk"), topic__in=topics).exclude(stance=Stance.NOT_ADDRESSED)
        return queryset.filter(Exists(coded))

    def to_json(self) -> dict[str, Any]:
        """The valid form's data in the shape a job stores: only what narrows the pack."""
        data: dict[str, Any] = {}
        for name, value in self.form.cleaned_data.items():
            if isinstance(value, datetime.date):
                data[name] = value.isoformat()
            elif value:
                # Chosen topics come as model instances; the rest as strings.
                data[name] = [str(getattr(item, "pk", item)) for item in value]
        return data

    def describe(self) -> list[tuple[str, str]]:
        """The filters as (label, human-readable value) pairs for the pack's cover and manifest."""
        cleaned = self.form.cleaned_data
        lines: list[tuple[str, str]] = []
        status_labels = dict(ResponseStatus.choices)
        kind_labels = dict(OrganisationKind.choices)
        if cleaned.get("status"):
            lines.append((str(_("Status")), ", ".join(str(status_labels[s]) for s in cleaned["status"])))
        if cleaned.get("kind"):
            lines.append((str(_("Organisation kind")), ", ".join(str(kind_labels[k]) for k in cleaned["kind"])))
        if cleaned.get("country"):
            lines.append((str(_("Country")), ", ".join(countries.name(c) for c in cleaned["country"])))
        if cleaned.get("topic"):
            lines.append((str(_("Took a position on")), ", ".join(topic.name for topic in cleaned["topic"])))
        if cleaned.get("received_from"):
            lines.append((str(_("Received on or after")), date_format(cleaned["received_from"], "DATE_FORMAT")))
        if cleaned.get("received_to"):
            lines.append((str(_("Received on or before")), date_format(cleaned["received_to"], "DATE_FORMAT")))
        return lines

    def error_text(self) -> str:
        return "; ".join(f"{name}: {' '.join(errors)}" for name, errors in self.form.errors.items())
