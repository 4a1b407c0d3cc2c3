"""Deleting responses and files (with a reason, after a confirmation), and the deleted items an admin
restores them from until the retention purge removes them (responses.purge)."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import role_required
from accounts.roles import Role
from responses import rules, services
from responses.forms import DeleteForm
from responses.models import Attachment, EventKind, Response, ResponseEvent

EDITORS = (Role.POLICY_STAFF, Role.ADMIN)
DELETED_PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def response_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask why, then move the response to the deleted items."""
    response = get_object_or_404(Response.objects.select_related("consultation", "organisation"), pk=pk)
    if refusal := rules.refusal_to_delete(request.user, response):
        messages.error(request, refusal)
        return redirect(response)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.response_delete(response=response, by=request.user, reason=form.cleaned_data["reason"])
        except services.TransitionError as exc:
            messages.error(request, str(exc))
            return redirect("responses:response-list")
        messages.success(
            request, _("The response of %(organisation)s is deleted.") % {"organisation": response.organisation}
        )
        return redirect("responses:response-list")
    return render(
        request,
        "responses/confirm_delete.html",
        {
            "form": form,
            "response": response,
            "heading": _("Delete this response?"),
            "what": services.response_label(response),
            "cancel_url": response.get_absolute_url(),
            "retention_days": settings.DELETED_RETENTION_DAYS,
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask why, then move one file of a response to the deleted items."""
    attachment = get_object_or_404(
        Attachment.objects.select_related("response__consultation", "response__organisation"), pk=pk
    )
    response_files = f"{reverse('responses:response-detail', args=[attachment.response_id])}#attachments"
    if refusal := rules.refusal_to_delete_attachment(request.user, attachment):
        messages.error(request, refusal)
        return redirect(response_files)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.attachment_delete(attachment=attachment, by=request.user, reason=form.cleaned_data["reason"])
        except services.TransitionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("“%(name)s” is deleted.") % {"name": attachment.original_name})
        return redirect(response_files)
    return render(
        request,
        "responses/confirm_delete.html",
        {
            "form": form,
            "response": attachment.response,
            "heading": _("Delete this file?"),
            "what": services.attachment_label(attachment),
            "cancel_url": response_files,
            "retention_days": settings.DELETED_RETENTION_DAYS,
        },
    )


def _deletion_reasons(events) -> dict[int, ResponseEvent]:
    """The latest deletion event of each item, keyed by response or attachment id."""
    latest: dict[int, ResponseEvent] = {}
    for event in events.select_related("actor").order_by("created_at", "pk"):
        latest[event.attachment_id or event.response_id] = event
    return latest


@require_GET
@role_required(Role.ADMIN)
def deleted_list(request: HttpRequest) -> HttpResponse:
    """Deleted responses and files: who deleted them, when and why, when they will be purged; restore buttons."""
    retention = datetime.timedelta(days=settings.DELETED_RETENTION_DAYS)
    responses = Paginator(
        Response.all_objects.deleted()
        .select_related("consultation", "organisation", "deleted_by")
        .order_by("-deleted_at", "-pk"),
        DELETED_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    files = Paginator(
        Attachment.all_objects.deleted()
        .select_related("response__consultation", "response__organisation", "deleted_by")
        .order_by("-deleted_at", "-pk"),
        DELETED_PAGE_SIZE,
    ).get_page(request.GET.get("files_page"))
    response_reasons = _deletion_reasons(
        ResponseEvent.objects.filter(kind=EventKind.DELETED, response__in=[item.pk for item in responses])
    )
    file_reasons = _deletion_reasons(
        ResponseEvent.objects.filter(kind=EventKind.ATTACHMENT_DELETED, attachment__in=[item.pk for item in files])
    )
    return render(
        request,
        "responses/deleted_list.html",
        {
            "responses": responses,
            "files": files,
            "response_rows": [(item, response_reasons.get(item.pk), item.deleted_at + retention) for item in responses],
            "file_rows": [(item, file_reasons.get(item.pk), item.deleted_at + retention) for item in files],
            "retention_days": settings.DELETED_RETENTION_DAYS,
        },
    )


@require_POST
@role_required(Role.ADMIN)
def deleted_response_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Bring a deleted response back; its page opens."""
    response = get_object_or_404(Response.all_objects, pk=pk)
    try:
        services.response_restore(response=response, by=request.user)
    except services.TransitionError as exc:
        messages.error(request, str(exc))
        return redirect("responses:deleted-list")
    messages.success(request, _("The response is restored."))
    return redirect(response)


@require_POST
@role_required(Role.ADMIN)
def deleted_attachment_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Bring a deleted file back on its response."""
    attachment = get_object_or_404(Attachment.all_objects.select_related("response"), pk=pk)
    try:
        services.attachment_restore(attachment=attachment, by=request.user)
    except services.TransitionError as exc:
        messages.error(request, str(exc))
        return redirect("responses:deleted-list")
    messages.success(request, _("“%(name)s” is restored.") % {"name": attachment.original_name})
    if attachment.response.is_deleted:
        messages.info(request, _("Its response is still deleted: restore the response to see the file."))
        return redirect("responses:deleted-list")
    return redirect(f"{reverse('responses:response-detail', args=[attachment.response_id])}#attachments")
