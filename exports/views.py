"""Response packs: request one, watch it build, download it; cancel or retry it.

Who may do what (checked as permissions, so an admin can grant them to anyone with a role):
- exports.add_exportjob: request packs, and see, download, cancel and retry their own;
- exports.view_exportjob: see and download every pack;
- exports.change_exportjob: cancel and retry any pack.
The Admin role holds all three.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import role_required
from accounts.models import User
from consultations.models import Consultation
from exports.filters import PackFilterSet
from exports.forms import ExportOptionsForm
from exports.models import ExportJob
from exports.services import export_job_cancel, export_job_request, export_job_retry

ADD = "exports.add_exportjob"
VIEW = "exports.view_exportjob"
CHANGE = "exports.change_exportjob"
PAGE_SIZE = 25
QUEUE_UNAVAILABLE = gettext_lazy(
    "The queue is unavailable; your request is kept and will start when it is back. This page shows its progress."
)


def _require_export_access(user: User) -> None:
    if not (user.has_perm(VIEW) or user.has_perm(ADD)):
        raise PermissionDenied


def _visible_jobs(user: User) -> QuerySet[ExportJob]:
    jobs = ExportJob.objects.select_related("consultation", "requested_by")
    if user.has_perm(VIEW):
        return jobs
    return jobs.filter(requested_by=user)


def _get_job_for_user(request: HttpRequest, pk: int) -> ExportJob:
    """The job, if this user may see it; 403 without any export permission, 404 for others' jobs."""
    _require_export_access(request.user)
    return get_object_or_404(_visible_jobs(request.user), pk=pk)


def _may_manage(user: User, job: ExportJob) -> bool:
    return user.has_perm(CHANGE) or (user.has_perm(ADD) and job.requested_by_id == user.pk)


def _job_context(request: HttpRequest, job: ExportJob) -> dict:
    return {"job": job, "may_manage": _may_manage(request.user, job)}


def _render_list(request: HttpRequest, jobs: QuerySet[ExportJob], consultation: Consultation | None) -> HttpResponse:
    page_obj = Paginator(jobs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "consultation": consultation,
        "page_obj": page_obj,
        "jobs": page_obj.object_list,
        "may_request": request.user.has_perm(ADD),
    }
    return render(request, "exports/exportjob_list.html", context)


@require_GET
@role_required()
def job_list(request: HttpRequest) -> HttpResponse:
    """Every pack this user may see, newest first."""
    _require_export_access(request.user)
    return _render_list(request, _visible_jobs(request.user), None)


@require_GET
@role_required()
def consultation_job_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The packs of one consultation, with the button to request another."""
    _require_export_access(request.user)
    consultation = get_object_or_404(Consultation.objects.select_related("issuer"), slug=slug)
    return _render_list(request, _visible_jobs(request.user).filter(consultation=consultation), consultation)


@require_http_methods(["GET", "POST"])
@role_required()
def job_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Choose the format and the filters, and queue the pack."""
    if not request.user.has_perm(ADD):
        raise PermissionDenied
    consultation = get_object_or_404(Consultation.objects.select_related("issuer"), slug=slug)
    data = request.POST if request.method == "POST" else None
    filterset = PackFilterSet(data, consultation=consultation)
    options = ExportOptionsForm(data)
    if data is not None and all([filterset.is_valid(), options.is_valid()]):
        job = export_job_request(
            consultation=consultation,
            filters=filterset.to_json(),
            format=options.cleaned_data["format"],
            include_attachments=options.cleaned_data["include_attachments"],
            requested_by=request.user,
        )
        if job.queue_unavailable:
            messages.warning(request, QUEUE_UNAVAILABLE)
        else:
            messages.success(request, _("Your pack is queued. This page shows its progress."))
        return redirect("exports:job-detail", pk=job.pk)
    context = {
        "consultation": consultation,
        "filterset": filterset,
        "options": options,
        "response_count": consultation.responses.count(),
    }
    return render(request, "exports/exportjob_form.html", context)


@require_GET
@role_required()
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's page; htmx polls it for the status fragment while the pack builds."""
    job = _get_job_for_user(request, pk)
    context = _job_context(request, job)
    if request.htmx:
        return render(request, "exports/_job_status.html", context)
    filterset = PackFilterSet(job.filters, consultation=job.consultation)
    context["filters"] = filterset.describe() if filterset.is_valid() else []
    return render(request, "exports/exportjob_detail.html", context)


@require_GET
@role_required()
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    """The pack as an attachment named after the consultation and the day it was built."""
    job = _get_job_for_user(request, pk)
    if not job.is_downloadable:
        raise Http404(_("This pack has no file to download."))
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("This pack's file is no longer in storage.")) from None
    return FileResponse(handle, as_attachment=True, filename=job.download_name())


def _after_change(request: HttpRequest, job: ExportJob, changed: bool, success: str, refused: str) -> HttpResponse:
    job.refresh_from_db()
    if request.htmx:
        return render(request, "exports/_job_status.html", _job_context(request, job))
    if changed:
        messages.success(request, success)
    else:
        messages.warning(request, refused)
    return redirect("exports:job-detail", pk=job.pk)


@require_POST
@role_required()
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _get_job_for_user(request, pk)
    if not _may_manage(request.user, job):
        raise PermissionDenied
    cancelled = export_job_cancel(job=job)
    return _after_change(
        request,
        job,
        cancelled,
        _("The pack was cancelled."),
        _("The pack had already finished, so it was not cancelled."),
    )


@require_POST
@role_required()
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = _get_job_for_user(request, pk)
    if not _may_manage(request.user, job):
        raise PermissionDenied
    retried = export_job_retry(job=job)
    queued = QUEUE_UNAVAILABLE if job.queue_unavailable else _("The pack is queued again.")
    return _after_change(request, job, retried, queued, _("Only a failed or cancelled pack can be retried."))
