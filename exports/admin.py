from django.contrib import admin

from exports.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("consultation", "format", "status", "requested_by", "created_at", "finished_at")
    list_filter = ("status", "format")
    list_select_related = ("consultation", "requested_by")
    readonly_fields = ("checksum", "error", "started_at", "finished_at", "progress_done", "progress_total")
