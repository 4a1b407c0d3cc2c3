from django.urls import path  # noqa: F401  (pages are added by the views of this app)

app_name = "stakeholders"

urlpatterns: list = []
