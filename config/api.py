"""The REST API's URLs: one router for /api/v1/, the OpenAPI schema and its documentation.

Each app keeps its API in its own api.py; this module only assembles them. API views do their own
authentication (token or session) and answer 401/403 in the API's error shape: DRF exempts them
from the login redirect that pages get. The documentation pages, being pages, redirect anonymous
visitors to the login page.
"""

from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.routers import DefaultRouter

from consultations.api import ConsultationViewSet, QuestionViewSet, TopicViewSet
from exports.api import ExportJobViewSet
from reminders.api import ReminderLogViewSet
from responses.api import AttachmentViewSet, CommentViewSet, ResponseViewSet
from stakeholders.api import ContactViewSet, OrganisationViewSet


class Router(DefaultRouter):
    include_root_view = False


router = Router()
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("contacts", ContactViewSet, basename="contact")
router.register("consultations", ConsultationViewSet, basename="consultation")
router.register("questions", QuestionViewSet, basename="question")
router.register("topics", TopicViewSet, basename="topic")
router.register("responses", ResponseViewSet, basename="response")
router.register("attachments", AttachmentViewSet, basename="attachment")
router.register("comments", CommentViewSet, basename="comment")
router.register("export-jobs", ExportJobViewSet, basename="export-job")
router.register("reminders", ReminderLogViewSet, basename="reminder")


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([])
def api_not_found(request, path=""):
    """An address under /api/ that names nothing: answered in the API's error shape, not an HTML page."""
    raise NotFound(_("No API endpoint at this address; see /api/docs/."))


urlpatterns = [
    path("v1/", include((router.urls, "api"))),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("redoc/", login_required(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
    re_path(r"^(?P<path>.*)$", api_not_found),
]
