from django.urls import path, register_converter

from stakeholders import import_views as import_pages
from stakeholders import views
from stakeholders.models import RESERVED_SLUGS


class OrganisationSlugConverter:
    """An organisation's slug, never one of the page names under /organisations/ (new, import...),
    so those pages are reached whatever order the routes are listed in."""

    regex = r"(?!(?:" + "|".join(sorted(RESERVED_SLUGS)) + r")/)[-a-zA-Z0-9_]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(OrganisationSlugConverter, "organisation_slug")

app_name = "stakeholders"

urlpatterns = [
    path("", views.organisation_list, name="organisation-list"),
    path("new/", views.organisation_create, name="organisation-create"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact-delete"),
    path("<organisation_slug:slug>/", views.organisation_detail, name="organisation-detail"),
    path("<organisation_slug:slug>/edit/", views.organisation_edit, name="organisation-edit"),
    path("<organisation_slug:slug>/merge/", views.organisation_merge_view, name="organisation-merge"),
    path("<organisation_slug:slug>/contacts/new/", views.contact_create, name="contact-create"),
]

# Importing organisations and contacts from CSV/XLSX ("import" is a reserved slug, so no clash above).
urlpatterns += [
    path("import/", import_pages.OrganisationImportUpload.as_view(), name="organisation-import"),
    path(
        "import/template.<str:fmt>",
        import_pages.OrganisationImportTemplate.as_view(),
        name="organisation-import-template",
    ),
    path("import/<str:token>/", import_pages.OrganisationImportPreview.as_view(), name="organisation-import-preview"),
    path(
        "import/<str:token>/confirm/",
        import_pages.OrganisationImportConfirm.as_view(),
        name="organisation-import-confirm",
    ),
    path(
        "import/<str:token>/cancel/", import_pages.OrganisationImportCancel.as_view(), name="organisation-import-cancel"
    ),
]
