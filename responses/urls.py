from django.urls import path

from responses import import_views as import_pages
from responses import views

app_name = "responses"

urlpatterns: list = [
    path("", views.response_list, name="response-list"),
    path("new/", views.response_create, name="response-create"),
    path("organisations/search/", views.organisation_search, name="organisation-search"),
    path("<int:pk>/", views.response_detail, name="response-detail"),
    path("<int:pk>/edit/", views.response_edit, name="response-edit"),
    path("<int:pk>/code/", views.response_code, name="response-code"),
    path("<int:pk>/text/", views.response_text, name="response-text"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment-add"),
    path("attachments/<int:pk>/download/", views.attachment_download, name="attachment-download"),
    path("attachments/<int:pk>/retry/", views.attachment_retry, name="attachment-retry"),
    path("matrix/<slug:slug>/", views.matrix, name="matrix"),
]

# Importing received submissions to one consultation from CSV/XLSX.
urlpatterns += [
    path("import/<slug:consultation_slug>/", import_pages.ResponseImportUpload.as_view(), name="response-import"),
    path(
        "import/<slug:consultation_slug>/template.<str:fmt>",
        import_pages.ResponseImportTemplate.as_view(),
        name="response-import-template",
    ),
    path(
        "import/<slug:consultation_slug>/<str:token>/",
        import_pages.ResponseImportPreview.as_view(),
        name="response-import-preview",
    ),
    path(
        "import/<slug:consultation_slug>/<str:token>/confirm/",
        import_pages.ResponseImportConfirm.as_view(),
        name="response-import-confirm",
    ),
    path(
        "import/<slug:consultation_slug>/<str:token>/cancel/",
        import_pages.ResponseImportCancel.as_view(),
        name="response-import-cancel",
    ),
]
