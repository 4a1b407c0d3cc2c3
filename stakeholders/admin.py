from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from stakeholders.models import Contact, Organisation, OrganisationAlias, OrganisationMerge


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class OrganisationAliasInline(admin.TabularInline):
    model = OrganisationAlias
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "country", "parent")
    list_filter = ("kind", "country")
    search_fields = ("name", "slug", "transparency_register_id", "aliases__name")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    inlines = [OrganisationAliasInline, ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "email", "role", "opted_out")
    list_filter = ("opted_out",)
    search_fields = ("name", "email", "organisation__name")
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation",)


@admin.register(OrganisationAlias)
class OrganisationAliasAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation")
    search_fields = ("name", "organisation__name")
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation",)


@admin.register(OrganisationMerge)
class OrganisationMergeAdmin(admin.ModelAdmin):
    """The merge log: written by the merge service only, so read-only here."""

    list_display = ("merged_name", "merged_slug", "survivor", "merged_by", "merged_at")
    search_fields = ("merged_name", "merged_slug", "survivor__name")
    list_select_related = ("survivor", "merged_by")
    readonly_fields = ("survivor", "merged_name", "merged_slug", "merged_by", "merged_at", "moved", "dropped")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OrganisationMerge | None = None) -> bool:
        return False
