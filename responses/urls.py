from django.urls import path

from responses import campaign_views as campaigns
from responses import deletion_views as deletion
from responses import import_views as import_pages
from responses import position_views, views
from responses import review_views as review
from responses import search_views as search_pages
from responses import work_views as work

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
    path("positions/", position_views.positions, name="positions"),
]

# Our own drafts: writing, versions, review, comments, submission.
urlpatterns += [
    path("drafts/new/", review.draft_create, name="draft-create"),
    path("drafts/preview/", review.draft_preview, name="draft-preview"),
    path("<int:pk>/draft/", review.draft_edit, name="draft-edit"),
    path("<int:pk>/versions/", review.version_list, name="version-list"),
    path("<int:pk>/versions/compare/", review.version_diff, name="version-diff"),
    path("<int:pk>/versions/<int:number>/restore/", review.version_restore, name="version-restore"),
    path("<int:pk>/review/request/", review.review_request, name="review-request"),
    path("<int:pk>/review/decide/", review.review_decide, name="review-decide"),
    path("<int:pk>/comments/", review.comment_add, name="comment-add"),
    path("comments/<int:pk>/resolve/", review.comment_resolve, name="comment-resolve"),
    path("comments/<int:pk>/reopen/", review.comment_reopen, name="comment-reopen"),
    path("<int:pk>/submit/", review.response_submit, name="response-submit"),
    path("<int:pk>/reopen/", review.response_reopen, name="response-reopen"),
    path("<int:pk>/audit/", review.response_audit, name="response-audit"),
    path("mine/", work.my_work, name="my-work"),
    path("audit/", work.audit_list, name="audit-list"),
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

# Campaigns: near-identical responses to one consultation.
urlpatterns += [
    path("campaigns/<slug:slug>/", campaigns.campaign_list, name="campaign-list"),
    path("campaigns/<slug:slug>/recompute/", campaigns.campaign_recompute, name="campaign-recompute"),
    path("campaigns/<slug:slug>/threshold/", campaigns.campaign_threshold, name="campaign-threshold"),
    path("campaign/<int:pk>/confirm/", campaigns.campaign_confirm, name="campaign-confirm"),
    path("campaign/<int:pk>/unconfirm/", campaigns.campaign_unconfirm, name="campaign-unconfirm"),
    path("campaign/<int:pk>/rename/", campaigns.campaign_rename, name="campaign-rename"),
    path("campaign/<int:pk>/split/", campaigns.campaign_split, name="campaign-split"),
    path("campaign/<int:pk>/representative/", campaigns.campaign_representative, name="campaign-representative"),
    path("<int:pk>/campaigns/allow/", campaigns.response_allow_campaigns, name="response-allow-campaigns"),
]

# Search, and the searches each user saves.
urlpatterns += [
    path("search/", search_pages.search, name="search"),
    path("search/saved/", search_pages.saved_search_list, name="saved-search-list"),
    path("search/saved/new/", search_pages.saved_search_create, name="saved-search-create"),
    path("search/saved/<int:pk>/edit/", search_pages.saved_search_edit, name="saved-search-edit"),
    path("search/saved/<int:pk>/email/", search_pages.saved_search_toggle_email, name="saved-search-email"),
    path("search/saved/<int:pk>/delete/", search_pages.saved_search_delete, name="saved-search-delete"),
]

# Deletion: to the deleted items, restored from there by an admin until purged.
urlpatterns += [
    path("<int:pk>/delete/", deletion.response_delete, name="response-delete"),
    path("attachments/<int:pk>/delete/", deletion.attachment_delete, name="attachment-delete"),
    path("deleted/", deletion.deleted_list, name="deleted-list"),
    path("deleted/<int:pk>/restore/", deletion.deleted_response_restore, name="deleted-response-restore"),
    path(
        "deleted/attachments/<int:pk>/restore/",
        deletion.deleted_attachment_restore,
        name="deleted-attachment-restore",
    ),
]
