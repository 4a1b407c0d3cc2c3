from django.contrib import admin

from reminders.models import ReminderLog, ReminderPreference


@admin.register(ReminderLog)
class ReminderLogAdmin(admin.ModelAdmin):
    """A record of what the scans did; the rows are the exactly-once claims, so none is edited here."""

    list_display = ("created_at", "consultation", "recipient_key", "email", "offset", "status", "reason", "attempts")
    list_filter = ("status", "reason", "offset")
    list_select_related = ("consultation",)
    search_fields = ("consultation__title", "email", "recipient_key")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in ReminderLog._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "offsets", "calendar_token_created_at")
    search_fields = ("user__username", "user__email")
    readonly_fields = ("calendar_token_created_at",)
    list_select_related = ("user",)
