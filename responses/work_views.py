"""Personal and site-wide views over our drafts: my work, and the audit trail for admins."""

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import role_required
from accounts.roles import Role
from responses.forms import AuditFilter
from responses.models import Comment, Response, ResponseEvent, ReviewRequest

AUDIT_PAGE_SIZE = 50
MENTIONS_SHOWN = 20


@require_GET
@role_required()
def my_work(request: HttpRequest) -> HttpResponse:
    """My drafts, the reviews waiting for me (soonest due first) and where I was mentioned."""
    user = request.user
    drafts = (
        Response.objects.in_progress()
        .owned_by(user)
        .select_related("consultation", "organisation")
        .annotate(open_threads=Count("comments", filter=Q(comments__parent__isnull=True, comments__resolved=False)))
        .order_by("consultation__deadline", "pk")
    )
    reviews = (
        ReviewRequest.objects.waiting_for(user)
        .select_related("response__consultation", "response__organisation", "requested_by")
        .order_by("due_at", "pk")
    )
    mentions = (
        Comment.objects.mentioning(user)
        .select_related("author", "response__consultation", "response__organisation")
        .order_by("-created_at", "-pk")[:MENTIONS_SHOWN]
    )
    return render(
        request,
        "responses/my_work.html",
        {"drafts": drafts, "reviews": reviews, "mentions": mentions, "now": timezone.now()},
    )


@require_GET
@role_required(Role.ADMIN)
def audit_list(request: HttpRequest) -> HttpResponse:
    """Every recorded step on every response: filter by what, who, consultation and dates."""
    audit_filter = AuditFilter(request.GET or None, queryset=ResponseEvent.objects.for_audit())
    page_obj = Paginator(audit_filter.qs, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "responses/audit_list.html", {"filter": audit_filter, "page_obj": page_obj})
