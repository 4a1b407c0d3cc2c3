from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import role_required
from config.dashboard import dashboard_context


@require_GET
@role_required()
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: deadlines, my drafts and reviews, recent submissions, responses and stances charted."""
    return render(request, "home.html", dashboard_context(request.user))
