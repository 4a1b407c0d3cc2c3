from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.webhook_list, name="webhook-list"),
    path("new/", views.webhook_create, name="webhook-create"),
    path("<int:pk>/", views.webhook_detail, name="webhook-detail"),
    path("<int:pk>/edit/", views.webhook_edit, name="webhook-edit"),
    path("<int:pk>/delete/", views.webhook_delete, name="webhook-delete"),
    path("<int:pk>/secret/", views.webhook_rotate_secret, name="webhook-rotate-secret"),
    path("<int:pk>/ping/", views.webhook_ping, name="webhook-ping"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery-detail"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery-retry"),
]
