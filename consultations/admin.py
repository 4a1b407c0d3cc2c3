from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from consultations.models import Consultation, Invitation, Question, Tag, Topic


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


class TopicInline(admin.TabularInline):
    model = Topic
    extra = 0
    prepopulated_fields = {"slug": ("name",)}


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    autocomplete_fields = ("organisation",)


@admin.register(Consultation)
class ConsultationAdmin(SimpleHistoryAdmin):
    list_display = ("title", "issuer", "opens_at", "deadline", "published")
    list_filter = ("published", "tags")
    search_fields = ("title", "reference", "issuer__name")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("issuer",)
    filter_horizontal = ("owners", "tags")
    list_select_related = ("issuer",)
    inlines = [QuestionInline, TopicInline, InvitationInline]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("number", "consultation", "text")
    search_fields = ("text",)
    list_select_related = ("consultation",)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "consultation")
    list_filter = ("tags",)
    search_fields = ("name",)
    list_select_related = ("consultation",)
    filter_horizontal = ("tags",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("organisation", "consultation", "invited_at")
    list_select_related = ("organisation", "consultation")
    autocomplete_fields = ("organisation", "consultation")
