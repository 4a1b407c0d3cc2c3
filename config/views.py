from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import role_required
from consultations.models import Consultation
from responses.models import Response


@require_GET
@role_required()
def home(request: HttpRequest) -> HttpResponse:
    """The team's start page: what closes soon, what opens next, what came in lately."""
    now = timezone.now()
    consultations = Consultation.objects.select_related("issuer")
    context = {
        "now": now,
        "open_consultations": consultations.open(now).order_by("deadline")[:10],
        "upcoming_consultations": consultations.upcoming(now).order_by("opens_at")[:5],
        "recent_responses": Response.objects.received()
        .select_related("organisation", "consultation")
        .order_by("-received_on", "-created_at")[:10],
    }
    return render(request, "home.html", context)
