from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.roles import Role
from responses.models import (
    Answer,
    Attachment,
    Campaign,
    CampaignDetection,
    Comment,
    Position,
    Response,
    ResponseEvent,
    SavedSearch,
)


class DeleteThroughTheAppMixin:
    """Responses and files are deleted on their pages, with a reason, into the deleted items an admin restores
    from; a deletion here would skip both, so the admin offers none."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AnswerInline(admin.StackedInline):
    model = Answer
    extra = 0


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0


class AttachmentInline(DeleteThroughTheAppMixin, admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ("original_name", "content_type", "size", "sha256", "extraction_status", "extraction_error")
    readonly_fields = fields


@admin.register(Response)
class ResponseAdmin(DeleteThroughTheAppMixin, SimpleHistoryAdmin):
    list_display = ("organisation", "consultation", "status", "channel", "received_on", "submitted_at")
    list_filter = ("status", "channel", "organisation__kind")
    search_fields = ("organisation__name", "consultation__title", "summary")
    list_select_related = ("organisation", "consultation")
    autocomplete_fields = ("organisation", "consultation", "owner")
    filter_horizontal = ("reviewers",)
    readonly_fields = ("version",)
    inlines = [AnswerInline, PositionInline, AttachmentInline]


@admin.register(Position)
class PositionAdmin(SimpleHistoryAdmin):
    list_display = ("response", "topic", "stance")
    list_filter = ("stance",)
    list_select_related = ("response__organisation", "response__consultation", "topic")


@admin.register(Attachment)
class AttachmentAdmin(DeleteThroughTheAppMixin, admin.ModelAdmin):
    list_display = ("original_name", "response", "size", "extraction_status", "uploaded_at")
    list_filter = ("extraction_status",)
    readonly_fields = (
        "sha256",
        "size",
        "content_type",
        "extracted_text",
        "extraction_error",
        "extraction_queued_at",
        "extracted_at",
    )
    list_select_related = ("response__organisation", "response__consultation")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("author", "response", "anchor_paragraph", "resolved", "created_at")
    list_filter = ("resolved",)
    list_select_related = ("author", "response__organisation", "response__consultation")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("__str__", "consultation", "confirmed", "representative", "updated_at")
    list_filter = ("confirmed",)
    search_fields = ("name", "consultation__title")
    list_select_related = ("consultation", "representative__organisation")
    raw_id_fields = ("representative", "confirmed_by")
    autocomplete_fields = ("consultation",)


@admin.register(CampaignDetection)
class CampaignDetectionAdmin(admin.ModelAdmin):
    list_display = ("consultation", "similarity_threshold", "computed_at", "dirty_since", "queued_at")
    autocomplete_fields = ("consultation",)


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "query", "email_daily", "last_emailed_on")
    list_filter = ("email_daily",)
    search_fields = ("name", "query", "owner__username")
    readonly_fields = ("last_emailed_on", "last_emailed_at", "created_at", "updated_at")


@admin.register(ResponseEvent)
class ResponseEventAdmin(admin.ModelAdmin):
    """The audit trail, to read: nobody adds, changes or deletes an event (see ResponseEvent)."""

    list_display = ("created_at", "actor", "kind", "response_id", "subject", "version")
    list_filter = ("kind",)
    search_fields = ("subject", "note", "actor__username")
    list_select_related = ("actor",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_role(Role.ADMIN)
