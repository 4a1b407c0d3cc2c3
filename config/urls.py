from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.views import set_language
from config import views

admin.site.site_header = _("Consultrack administration")
admin.site.site_title = _("Consultrack")

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("organisations/", include("stakeholders.urls")),
    path("consultations/", include("consultations.urls")),
    path("responses/", include("responses.urls")),
    path("notifications/", include("notifications.urls")),
    path("exports/", include("exports.urls")),
    path("reminders/", include("reminders.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("api/", include("config.api")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
