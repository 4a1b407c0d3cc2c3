import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from consultations.forms import LongSelect
from consultations.models import Consultation, Tag
from stakeholders.models import Organisation


class ConsultationFilter(django_filters.FilterSet):
    """The list page's filters; values are slugs and usernames, so filtered addresses read well."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    issuer = django_filters.ModelChoiceFilter(
        label=_("Issuer"),
        to_field_name="slug",
        queryset=Organisation.objects.filter(issued_consultations__isnull=False).distinct().order_by("name"),
        empty_label=_("Any issuer"),
        widget=LongSelect(label_field="name"),
    )
    tag = django_filters.ModelChoiceFilter(
        label=_("Tag"), field_name="tags", to_field_name="slug", queryset=Tag.objects.all(), empty_label=_("Any tag")
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"),
        field_name="owners",
        to_field_name="username",
        queryset=User.objects.filter(owned_consultations__isnull=False).distinct().order_by("username"),
        empty_label=_("Any owner"),
    )

    class Meta:
        model = Consultation
        fields = ["q", "issuer", "tag", "owner"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(title__icontains=value) | Q(reference__icontains=value))
