"""Consultations, with their questions and topics, over the REST API (routed in config.api)."""

import django_filters
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from consultations.models import Consultation, ConsultationStatus, Question, Tag, Topic

QUESTION_EXAMPLE = {"id": 7, "consultation": 3, "number": "1", "text": "Is the framework complete?", "order": 1}
TOPIC_EXAMPLE = {
    "id": 9,
    "consultation": 3,
    "name": "Multi-stakeholder model",
    "slug": "multi-stakeholder-model",
    "description": "Coordination between governments, industry and civil society.",
    "order": 1,
}
CONSULTATION_EXAMPLE = {
    "id": 3,
    "title": "COP Results Framework",
    "slug": "cop-results-framework",
    "reference": "CWG-COP/2016/1",
    "issuer": 5,
    "url": "https://www.itu.int/en/council/cwg-cop/Pages/consultation-jan-2016.aspx",
    "summary": "Views on the Child Online Protection results framework.",
    "opens_at": "2015-12-01T00:00:00Z",
    "deadline": "2016-01-31T23:59:00Z",
    "time_zone": "Europe/Zurich",
    "status": "closed",
    "published": False,
    "tags": ["child-online-protection"],
    "required_approvals": 1,
    "questions": [QUESTION_EXAMPLE],
    "topics": [TOPIC_EXAMPLE],
    "response_count": 8,
    "created_at": "2015-12-01T10:00:00Z",
    "updated_at": "2016-02-01T09:00:00Z",
}


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["id", "consultation", "number", "text", "order"]


class TopicSerializer(serializers.ModelSerializer):
    slug = serializers.SlugField(required=False, help_text="Made from the name when left out.")

    class Meta:
        model = Topic
        fields = ["id", "consultation", "name", "slug", "description", "order"]

    def to_internal_value(self, data):
        # Before validation, so that the uniqueness of (consultation, slug) is checked on the made slug.
        if not data.get("slug") and data.get("name"):
            data = data.dict() if hasattr(data, "dict") else dict(data)
            data["slug"] = slugify(data["name"])[:200] or "topic"
        return super().to_internal_value(data)


class NestedQuestionSerializer(QuestionSerializer):
    class Meta(QuestionSerializer.Meta):
        fields = ["id", "number", "text", "order"]


class NestedTopicSerializer(TopicSerializer):
    class Meta(TopicSerializer.Meta):
        fields = ["id", "name", "slug", "description", "order"]


class ConsultationSerializer(serializers.ModelSerializer):
    slug = serializers.SlugField(required=False, help_text="Made from the title when left out.")
    status = serializers.ChoiceField(
        choices=ConsultationStatus.choices, read_only=True, help_text="Derived from the dates."
    )
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, queryset=Tag.objects.all(), required=False)
    questions = NestedQuestionSerializer(many=True, read_only=True)
    topics = NestedTopicSerializer(many=True, read_only=True)
    response_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Consultation
        fields = [
            "id",
            "title",
            "slug",
            "reference",
            "issuer",
            "url",
            "summary",
            "opens_at",
            "deadline",
            "time_zone",
            "status",
            "published",
            "tags",
            "owners",
            "required_approvals",
            "approval_needs_resolved_threads",
            "reminder_offsets",
            "remind_invited_contacts",
            "questions",
            "topics",
            "response_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"owners": {"required": False}}

    def validate_slug(self, value: str) -> str:
        taken = Consultation.objects.filter(slug=value).exclude(pk=getattr(self.instance, "pk", None)).exists()
        if taken:
            raise serializers.ValidationError(_("Another consultation has this slug."), code="unique")
        return value

    def validate(self, attrs: dict) -> dict:
        opens_at = attrs.get("opens_at", getattr(self.instance, "opens_at", None))
        deadline = attrs.get("deadline", getattr(self.instance, "deadline", None))
        if opens_at and deadline and deadline <= opens_at:
            raise serializers.ValidationError(
                {"deadline": [_("The deadline must come after the opening date.")]}, code="deadline_before_opening"
            )
        return attrs

    @transaction.atomic
    def create(self, validated_data: dict) -> Consultation:
        if not validated_data.get("slug"):
            validated_data["slug"] = Consultation.unique_slug_for(validated_data["title"])
        return super().create(validated_data)


class ConsultationApiFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search", help_text="Title or reference contains this, as on the consultation list."
    )
    status = django_filters.ChoiceFilter(choices=ConsultationStatus.choices, method="filter_status")
    issuer = django_filters.NumberFilter(field_name="issuer_id")
    tag = django_filters.CharFilter(field_name="tags__slug", help_text="A tag's slug.")
    deadline_after = django_filters.IsoDateTimeFilter(field_name="deadline", lookup_expr="gte")
    deadline_before = django_filters.IsoDateTimeFilter(field_name="deadline", lookup_expr="lt")

    class Meta:
        model = Consultation
        fields = ["search", "status", "issuer", "tag", "published", "deadline_after", "deadline_before"]

    def filter_search(self, queryset, name: str, value: str):
        return queryset.filter(Q(title__icontains=value) | Q(reference__icontains=value))

    def filter_status(self, queryset, name: str, value: str):
        now = timezone.now()
        return {
            ConsultationStatus.UPCOMING: queryset.upcoming,
            ConsultationStatus.OPEN: queryset.open,
            ConsultationStatus.CLOSED: queryset.closed,
        }[value](now)


@extend_schema_view(
    list=extend_schema(
        summary="List consultations",
        description="Consultations with their questions and topics; filter by status (derived from the dates).",
        examples=[OpenApiExample("A consultation", value=CONSULTATION_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Read a consultation",
        description="One consultation with its questions and topics.",
        examples=[OpenApiExample("COP Results Framework", value=CONSULTATION_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        summary="Create a consultation",
        description="Policy staff and admins. Add questions and topics through their own endpoints.",
        examples=[
            OpenApiExample(
                "A consultation",
                value={
                    "title": "COP Results Framework",
                    "issuer": 5,
                    "deadline": "2016-01-31T23:59:00+01:00",
                    "time_zone": "Europe/Zurich",
                },
                request_only=True,
            )
        ],
    ),
    update=extend_schema(summary="Replace a consultation", description="Policy staff and admins."),
    partial_update=extend_schema(
        summary="Change a consultation",
        description="Policy staff and admins.",
        examples=[OpenApiExample("Extend the deadline", value={"deadline": "2016-02-15T23:59:00Z"}, request_only=True)],
    ),
    destroy=extend_schema(
        summary="Delete a consultation", description="Admins only; refused (409) while responses refer to it."
    ),
)
class ConsultationViewSet(viewsets.ModelViewSet):
    serializer_class = ConsultationSerializer
    filterset_class = ConsultationApiFilter
    ordering_fields = ["deadline", "title", "created_at", "updated_at"]
    ordering = ["deadline", "pk"]
    queryset = (
        Consultation.objects.prefetch_related("questions", "topics", "tags", "owners").with_response_count().distinct()
    )


class QuestionApiFilter(django_filters.FilterSet):
    consultation = django_filters.NumberFilter(field_name="consultation_id")

    class Meta:
        model = Question
        fields = ["consultation"]


@extend_schema_view(
    list=extend_schema(
        summary="List questions",
        description="The questions consultations ask; filter by consultation.",
        examples=[OpenApiExample("A question", value=QUESTION_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(summary="Read a question", description="One question."),
    create=extend_schema(
        summary="Add a question",
        description="Policy staff and admins. The number is unique within the consultation.",
        examples=[
            OpenApiExample(
                "Question 1",
                value={"consultation": 3, "number": "1", "text": "Is the framework complete?", "order": 1},
                request_only=True,
            )
        ],
    ),
    update=extend_schema(summary="Replace a question", description="Policy staff and admins."),
    partial_update=extend_schema(summary="Change a question", description="Policy staff and admins."),
    destroy=extend_schema(summary="Delete a question", description="Policy staff and admins; its answers go with it."),
)
class QuestionViewSet(viewsets.ModelViewSet):
    serializer_class = QuestionSerializer
    filterset_class = QuestionApiFilter
    ordering_fields = ["order", "number"]
    ordering = ["order", "pk"]
    queryset = Question.objects.all()


class TopicApiFilter(django_filters.FilterSet):
    consultation = django_filters.NumberFilter(field_name="consultation_id")

    class Meta:
        model = Topic
        fields = ["consultation"]


@extend_schema_view(
    list=extend_schema(
        summary="List topics",
        description="The issues on which positions are coded; filter by consultation.",
        examples=[OpenApiExample("A topic", value=TOPIC_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(summary="Read a topic", description="One topic."),
    create=extend_schema(
        summary="Add a topic",
        description="Policy staff and admins. The slug is made from the name unless given.",
        examples=[
            OpenApiExample("A topic", value={"consultation": 3, "name": "Multi-stakeholder model"}, request_only=True)
        ],
    ),
    update=extend_schema(summary="Replace a topic", description="Policy staff and admins."),
    partial_update=extend_schema(summary="Change a topic", description="Policy staff and admins."),
    destroy=extend_schema(summary="Delete a topic", description="Policy staff and admins; its positions go with it."),
)
class TopicViewSet(viewsets.ModelViewSet):
    serializer_class = TopicSerializer
    filterset_class = TopicApiFilter
    ordering_fields = ["order", "name"]
    ordering = ["order", "pk"]
    queryset = Topic.objects.all()
