from django.contrib import admin

from notifications.models import EmailMute, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "kind", "created_at", "read_at", "email_status")
    list_filter = ("kind", "email_status")
    list_select_related = ("recipient",)
    readonly_fields = ("email_claimed_at", "email_sent_at", "email_attempts", "email_error")


@admin.register(EmailMute)
class EmailMuteAdmin(admin.ModelAdmin):
    list_display = ("user", "kind")
    list_filter = ("kind",)
    list_select_related = ("user",)
