import django_filters
from django import forms
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from stakeholders.models import Organisation, OrganisationKind

# Sort keys offered to users -> the ordering they stand for; the name and key break ties so
# pages never overlap.
# Names sort without regard to case, as people read them ("French firm" before "French NGO").
NAME = Lower("name")
SORTS = {
    "name": (NAME, "pk"),
    "-name": (NAME.desc(), "-pk"),
    "kind": ("kind", NAME, "pk"),
    "-kind": ("-kind", NAME, "pk"),
    "country": ("country", NAME, "pk"),
    "-country": ("-country", NAME, "pk"),
    "responses": ("response_count", NAME, "pk"),
    "-responses": ("-response_count", NAME, "pk"),
}
SORT_CHOICES = [
    ("name", _("Name, A to Z")),
    ("-name", _("Name, Z to A")),
    ("kind", _("Kind")),
    ("-kind", _("Kind, reversed")),
    ("country", _("Country")),
    ("-country", _("Country, reversed")),
    ("-responses", _("Most responses first")),
    ("responses", _("Fewest responses first")),
]


SELECT = forms.Select(attrs={"class": "form-select"})


class OrganisationFilter(django_filters.FilterSet):
    """Search by name or alias, narrow by kind and country, and sort the organisation list."""

    q = django_filters.CharFilter(label=_("Name or alias"), method="filter_text")
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=OrganisationKind.choices, empty_label=_("Any kind"), widget=SELECT
    )
    country = django_filters.ChoiceFilter(label=_("Country"), empty_label=_("Any country"), widget=SELECT)
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=SORT_CHOICES, method="sort_by", empty_label=None, widget=SELECT
    )

    class Meta:
        model = Organisation
        fields = ["q", "kind", "country", "sort"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only the countries some organisation is in: a short list instead of 250 names.
        codes = Organisation.objects.exclude(country="").order_by().values_list("country", flat=True).distinct()
        self.filters["country"].extra["choices"] = sorted(
            ((code, countries.name(code)) for code in codes), key=lambda choice: choice[1]
        )

    @property
    def qs(self) -> QuerySet:
        queryset = super().qs
        if not self.is_bound or not self.form.is_valid() or not self.form.cleaned_data.get("sort"):
            queryset = queryset.order_by(*SORTS["name"])
        return queryset

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.matching(value)

    def sort_by(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*SORTS[value])

    @property
    def current_sort(self) -> str:
        if self.is_bound and self.form.is_valid() and self.form.cleaned_data.get("sort"):
            return self.form.cleaned_data["sort"]
        return "name"
