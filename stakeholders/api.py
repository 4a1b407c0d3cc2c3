"""Organisations and contacts over the REST API (routed in config.api)."""

import django_filters
from django.db import transaction
from django.utils.translation import gettext as _
from django_countries.serializers import CountryFieldMixin
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from stakeholders.models import Contact, Organisation, OrganisationKind

ORGANISATION_EXAMPLE = {
    "id": 12,
    "name": "Facebook",
    "slug": "facebook",
    "kind": "company",
    "country": "US",
    "website": "https://about.meta.com",
    "transparency_register_id": "28666427835-74",
    "parent": None,
    "aliases": ["Meta Platforms"],
    "notes": "",
    "response_count": 3,
    "created_at": "2016-01-12T09:30:00Z",
    "updated_at": "2016-02-01T16:02:11Z",
}
CONTACT_EXAMPLE = {
    "id": 40,
    "organisation": 12,
    "name": "Jane Doe",
    "email": "jane.doe@example.org",
    "role": "Head of public policy",
    "opted_out": False,
    "created_at": "2016-01-12T09:31:00Z",
}


class OrganisationSerializer(CountryFieldMixin, serializers.ModelSerializer):
    aliases = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    response_count = serializers.IntegerField(read_only=True, help_text="Responses logged or drafted for it.")
    slug = serializers.SlugField(required=False, help_text="Made from the name when left out.")

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "slug",
            "kind",
            "country",
            "website",
            "transparency_register_id",
            "parent",
            "aliases",
            "notes",
            "response_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_slug(self, value: str) -> str:
        exclude = self.instance.pk if self.instance else None
        if Organisation.slug_is_taken(value, exclude_pk=exclude):
            raise serializers.ValidationError(_("This slug is taken (or names a page)."), code="unique")
        return value

    def validate(self, attrs: dict) -> dict:
        parent = attrs.get("parent")
        if parent and self.instance and (parent.pk == self.instance.pk or parent.is_descendant_of(self.instance)):
            raise serializers.ValidationError(
                {"parent": [_("An organisation cannot belong to itself or to one of its subsidiaries.")]}, code="loop"
            )
        return attrs

    @transaction.atomic
    def create(self, validated_data: dict) -> Organisation:
        if not validated_data.get("slug"):
            validated_data["slug"] = Organisation.unique_slug_for(validated_data["name"])
        return super().create(validated_data)


class OrganisationApiFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search", help_text="Name or alias contains this (any case), as on the organisation list."
    )
    kind = django_filters.MultipleChoiceFilter(choices=OrganisationKind.choices)
    country = django_filters.CharFilter(help_text="ISO 3166 code, e.g. GB.")
    parent = django_filters.NumberFilter(field_name="parent_id")

    class Meta:
        model = Organisation
        fields = ["search", "kind", "country", "parent"]

    def filter_search(self, queryset, name: str, value: str):
        return queryset.matching(value)


@extend_schema_view(
    list=extend_schema(
        summary="List organisations",
        description="Stakeholder organisations; `search` finds a name or alias, as the organisation list does.",
        examples=[OpenApiExample("A page", value=ORGANISATION_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Read an organisation",
        description="One organisation with its aliases and number of responses.",
        examples=[OpenApiExample("Facebook", value=ORGANISATION_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        summary="Create an organisation",
        description="Policy staff and admins. The slug is made from the name unless given.",
        examples=[
            OpenApiExample(
                "A company", value={"name": "Facebook", "kind": "company", "country": "US"}, request_only=True
            )
        ],
    ),
    update=extend_schema(summary="Replace an organisation", description="Policy staff and admins."),
    partial_update=extend_schema(
        summary="Change an organisation",
        description="Policy staff and admins; only the fields sent change.",
        examples=[OpenApiExample("A new website", value={"website": "https://about.meta.com"}, request_only=True)],
    ),
    destroy=extend_schema(
        summary="Delete an organisation",
        description="Admins only. Refused (409) while responses or consultations refer to it; merge it instead.",
    ),
)
class OrganisationViewSet(viewsets.ModelViewSet):
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationApiFilter
    ordering_fields = ["name", "created_at", "updated_at", "response_count"]
    ordering = ["name", "pk"]
    queryset = Organisation.objects.prefetch_related("aliases").with_response_count()


class ContactSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)

    class Meta:
        model = Contact
        fields = ["id", "organisation", "name", "email", "role", "opted_out", "created_at"]
        read_only_fields = ["created_at"]


class ContactApiFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", help_text="Name, e-mail or organisation contains this.")
    organisation = django_filters.NumberFilter(field_name="organisation_id")

    class Meta:
        model = Contact
        fields = ["search", "organisation", "opted_out"]

    def filter_search(self, queryset, name: str, value: str):
        from django.db.models import Q

        return queryset.filter(
            Q(name__icontains=value) | Q(email__icontains=value) | Q(organisation__name__icontains=value)
        )


@extend_schema_view(
    list=extend_schema(
        summary="List contacts",
        description="People at organisations whom the team may write to.",
        examples=[OpenApiExample("A contact", value=CONTACT_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(summary="Read a contact", description="One contact."),
    create=extend_schema(
        summary="Create a contact",
        description="Policy staff and admins. An e-mail is unique per organisation.",
        examples=[
            OpenApiExample(
                "A contact",
                value={"organisation": 12, "name": "Jane Doe", "email": "jane.doe@example.org"},
                request_only=True,
            )
        ],
    ),
    update=extend_schema(summary="Replace a contact", description="Policy staff and admins."),
    partial_update=extend_schema(
        summary="Change a contact",
        description="Policy staff and admins.",
        examples=[OpenApiExample("Opt out", value={"opted_out": True}, request_only=True)],
    ),
    destroy=extend_schema(summary="Delete a contact", description="Policy staff and admins."),
)
class ContactViewSet(viewsets.ModelViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactApiFilter
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "pk"]
    queryset = Contact.objects.select_related("organisation")
