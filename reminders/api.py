"""The reminder history over the REST API, read-only, for admins as on its page (routed in config.api)."""

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from accounts.roles import Role
from reminders.filters import ReminderLogFilter
from reminders.models import ReminderLog

REMINDER_EXAMPLE = {
    "id": 301,
    "consultation": 3,
    "recipient": "policy",
    "recipient_kind": "team",
    "email": "policy@example.org",
    "offset": 7,
    "deadline": "2016-01-31T23:59:00Z",
    "due_at": "2016-01-24T00:00:00+01:00",
    "roles": ["owner", "watching"],
    "status": "sent",
    "reason": "",
    "error": "",
    "attempts": 1,
    "created_at": "2016-01-24T00:05:00Z",
    "sent_at": "2016-01-24T00:05:02Z",
}


class ReminderLogSerializer(serializers.ModelSerializer):
    recipient = serializers.CharField(source="recipient_label", read_only=True)
    recipient_kind = serializers.SerializerMethodField()

    class Meta:
        model = ReminderLog
        fields = [
            "id",
            "consultation",
            "recipient",
            "recipient_kind",
            "email",
            "offset",
            "deadline",
            "due_at",
            "roles",
            "status",
            "reason",
            "error",
            "attempts",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields

    def get_recipient_kind(self, log: ReminderLog) -> str:
        return "invited" if log.is_external else "team"


class ReminderLogApiFilter(ReminderLogFilter):
    search = django_filters.CharFilter(method="search", help_text="Consultation, name or e-mail, as on the page.")
    consultation = django_filters.NumberFilter(field_name="consultation_id")

    class Meta(ReminderLogFilter.Meta):
        fields = ["search", "consultation", "status", "kind", "claimed_from", "claimed_to"]


@extend_schema_view(
    list=extend_schema(
        summary="List reminders",
        description="Admins: every deadline reminder sent, failed or skipped, newest first.",
        examples=[OpenApiExample("A reminder", value=REMINDER_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Read a reminder",
        description="One reminder: to whom, which days before which deadline, and how it went.",
        examples=[OpenApiExample("A reminder", value=REMINDER_EXAMPLE, response_only=True)],
    ),
)
class ReminderLogViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ReminderLogSerializer
    filterset_class = ReminderLogApiFilter
    required_roles = (Role.ADMIN,)
    roles_suffice = True
    ordering_fields = ["created_at", "deadline"]
    ordering = ["-created_at", "-pk"]
    queryset = ReminderLog.objects.select_related("user", "contact")
