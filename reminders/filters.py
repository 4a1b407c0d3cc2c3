import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from reminders.models import ReminderLog, ReminderStatus

RECIPIENT_KINDS = [("team", _("Team members")), ("invited", _("Invited contacts"))]


class ReminderLogFilter(django_filters.FilterSet):
    """The history page's filters."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"placeholder": _("Consultation, name or e-mail"), "type": "search"}),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ReminderStatus.choices, empty_label=_("Any status"))
    kind = django_filters.ChoiceFilter(
        label=_("Recipients"), choices=RECIPIENT_KINDS, method="filter_kind", empty_label=_("Everyone")
    )
    claimed_from = django_filters.DateFilter(
        label=_("From"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    claimed_to = django_filters.DateFilter(
        label=_("To"), field_name="created_at", lookup_expr="date__lte", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = ReminderLog
        fields = ["q", "status", "kind", "claimed_from", "claimed_to"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(
            Q(consultation__title__icontains=value)
            | Q(email__icontains=value)
            | Q(user__username__icontains=value)
            | Q(user__first_name__icontains=value)
            | Q(user__last_name__icontains=value)
            | Q(contact__name__icontains=value)
        )

    def filter_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.for_contacts() if value == "invited" else queryset.for_users()
