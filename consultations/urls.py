from django.urls import path

from consultations import views

app_name = "consultations"

urlpatterns = [
    path("", views.consultation_list, name="consultation-list"),
    # Before the slug pattern; "new" is a reserved slug (consultations.models.RESERVED_SLUGS).
    path("new/", views.consultation_create, name="consultation-create"),
    path("<slug:slug>/", views.consultation_detail, name="consultation-detail"),
    path("<slug:slug>/edit/", views.consultation_edit, name="consultation-edit"),
    path("<slug:slug>/invitations/", views.invitation_create, name="invitation-create"),
    path("<slug:slug>/invitations/organisations/", views.invitation_options, name="invitation-options"),
    path("<slug:slug>/invitations/<int:pk>/delete/", views.invitation_delete, name="invitation-delete"),
]
