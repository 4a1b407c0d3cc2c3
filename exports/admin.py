from django.contrib import admin

from exports.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """Packs are requested and managed on the exports pages; the admin shows them as a record."""

    list_display = ("pk", "consultation", "format", "status", "requested_by", "created_at", "finished_at", "file_size")
    list_filter = ("status", "format")
    list_select_related = ("consultation", "requested_by")
    search_fields = ("consultation__title", "consultation__slug", "requested_by__username")
    date_hierarchy = "created_at"
    readonly_fields = (
        "consultation",
        "filters",
        "format",
        "include_attachments",
        "requested_by",
        "status",
        "stage",
        "progress_done",
        "progress_total",
        "file",
        "file_size",
        "checksum",
        "error",
        "attempts",
        "heartbeat_at",
        "created_at",
        "started_at",
        "finished_at",
        "expires_at",
    )

    def has_add_permission(self, request) -> bool:
        # A pack is requested through the exports page, which queues its build; a row added here would not be.
        return False
