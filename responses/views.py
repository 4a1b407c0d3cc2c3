from django.contrib import messages
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_countries import countries

from accounts.access import role_required
from accounts.roles import Role
from consultations.models import Consultation
from responses import campaigns, review_views, rules, services
from responses import matrix as stance_matrix
from responses.forms import (
    AttachmentAddForm,
    CodingForm,
    MatrixFilter,
    ResponseDetailsForm,
    ResponseFilter,
    ResponseLogForm,
)
from responses.models import Attachment, Position, Response, ResponseStatus, Stance
from responses.paging import EstimatedCountPaginator, KnownCountPaginator
from stakeholders.models import Organisation

EDITORS = (Role.POLICY_STAFF, Role.ADMIN)
PAGE_SIZE = 25
MATRIX_PAGE_SIZE = 50
SEARCH_LIMIT = 10


def _can_change(request: HttpRequest) -> bool:
    return request.user.has_role(*EDITORS)


def _get_response(pk: int) -> Response:
    """The one way to fetch a response for a page: every role reads every response, others 404."""
    return get_object_or_404(Response.objects.select_related("consultation__issuer", "organisation", "owner"), pk=pk)


def _get_attachment(pk: int) -> Attachment:
    return get_object_or_404(Attachment.objects.select_related("response"), pk=pk)


def _text_context(request: HttpRequest, response: Response) -> dict:
    """What the extracted-text panel needs; it polls itself while any file awaits extraction."""
    attachments = list(response.attachments.all())
    return {
        "response": response,
        "attachments": attachments,
        "extraction_pending": any(attachment.extraction_pending for attachment in attachments),
        "can_change": _can_change(request),
    }


def _count_of(rows) -> Coalesce:
    return Coalesce(
        Subquery(rows.order_by().values("response").annotate(number=Count("pk")).values("number")),
        0,
        output_field=IntegerField(),
    )


@require_GET
@role_required()
def response_list(request: HttpRequest) -> HttpResponse:
    """Every response, newest first, filtered by consultation, organisation, status and channel."""
    queryset = (
        Response.objects.select_related("consultation", "organisation")
        # Counted per row shown (subqueries), not by grouping every response before the page is cut.
        .annotate(
            position_count=_count_of(Position.objects.filter(response=OuterRef("pk"))),
            attachment_count=_count_of(Attachment.objects.filter(response=OuterRef("pk"))),
        )
        .newest_first()
    )
    response_filter = ResponseFilter(request.GET or None, queryset=queryset)
    page_obj = EstimatedCountPaginator(response_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "responses/response_list.html",
        {"filter": response_filter, "page_obj": page_obj, "can_change": _can_change(request)},
    )


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def response_create(request: HttpRequest) -> HttpResponse:
    """Log a submission received from an organisation: who, to which consultation, how, and its files."""
    if request.method == "POST":
        form = ResponseLogForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                response = services.response_log_received(
                    consultation=form.cleaned_data["consultation"],
                    organisation=form.chosen_organisation,
                    channel=form.cleaned_data["channel"],
                    received_on=form.cleaned_data["received_on"],
                    summary=form.cleaned_data["summary"],
                    files=form.cleaned_data["files"],
                    logged_by=request.user,
                    allow_duplicate=form.cleaned_data["log_anyway"],
                )
            except services.DuplicateResponse as exc:
                # Logged by someone else between the form's check and ours.
                form.duplicate_of = exc.existing
                form.add_error("log_anyway", _("This organisation already sent a response to this consultation."))
            else:
                messages.success(
                    request,
                    _("The submission of %(organisation)s is logged. Code its positions beside its text.")
                    % {"organisation": response.organisation},
                )
                return redirect(f"{reverse('responses:response-detail', args=[response.pk])}#coding")
    else:
        consultation = Consultation.objects.filter(slug=request.GET.get("consultation", "")).first()
        form = ResponseLogForm(initial={"consultation": consultation} if consultation else None)
    return render(
        request,
        "responses/response_create.html",
        {"form": form, "files_dropped": form.is_bound and bool(request.FILES)},
    )


@require_GET
@role_required()
def organisation_search(request: HttpRequest) -> HttpResponse:
    """The type-ahead of the log form: up to ten organisations whose name contains what was typed."""
    query = request.GET.get("organisation_query", request.GET.get("q", "")).strip()
    organisations: list[Organisation] = []
    if query:
        found = Organisation.objects.type_ahead(query)
        consultation_id = request.GET.get("consultation", "")
        if consultation_id.isdigit():
            found = found.annotate(
                flagged=Exists(
                    Response.objects.received().filter(organisation=OuterRef("pk"), consultation_id=consultation_id)
                )
            )
        organisations = list(found[:SEARCH_LIMIT])
    context = {"organisations": organisations, "query": query, "flag": _("already responded"), "offer_new": True}
    return render(request, "stakeholders/_organisation_options.html", context)


def _detail_context(
    request: HttpRequest,
    response: Response,
    *,
    coding_form: CodingForm | None = None,
    attach_form: AttachmentAddForm | None = None,
) -> dict:
    consultation = response.consultation
    prefetch_related_objects([response], "answers", "positions")
    positions = {position.topic_id: position for position in response.positions.all()}
    answers = {answer.question_id: answer for answer in response.answers.all()}
    if coding_form is None:
        coding_form = CodingForm(
            response=response, questions=consultation.questions.all(), topics=consultation.topics.all()
        )
    text_context = _text_context(request, response)
    return {
        **text_context,
        "can_delete": rules.refusal_to_delete(request.user, response) is None,
        "deletable_attachments": {
            attachment.pk
            for attachment in text_context["attachments"]
            if rules.refusal_to_delete_attachment(request.user, attachment) is None
        },
        "consultation": consultation,
        "topic_rows": [(topic, positions.get(topic.pk)) for topic in coding_form.topics],
        "question_rows": [(question, answers.get(question.pk)) for question in coding_form.questions],
        "coding_form": coding_form,
        "attach_form": attach_form or AttachmentAddForm(),
        "other_submissions": Response.objects.received()
        .from_organisation_to(organisation=response.organisation, consultation=consultation)
        .exclude(pk=response.pk)
        .order_by("created_at"),
    }


@require_GET
@role_required()
def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A received response with its files, their text and the positions coded from it beside that text;
    or one of our drafts, paragraph by paragraph with its comment threads and its review."""
    response = _get_response(pk)
    if response.in_workflow:
        return review_views.render_draft(request, response)
    return render(request, "responses/response_detail.html", _detail_context(request, response))


@require_GET
@role_required()
def response_text(request: HttpRequest, pk: int) -> HttpResponse:
    """The extracted-text panel alone: polled by htmx while an extraction is pending."""
    response = _get_response(pk)
    return render(request, "responses/_response_text.html", _text_context(request, response))


@require_POST
@role_required(*EDITORS)
def response_code(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the answers and positions coded from a response."""
    response = _get_response(pk)
    if response.in_workflow:
        messages.error(
            request,
            rules.refusal_to_edit(request.user, response)
            or _("Our own responses are edited on their edit page, where every save is a version."),
        )
        return redirect(response)
    form = CodingForm(
        request.POST,
        response=response,
        questions=response.consultation.questions.all(),
        topics=response.consultation.topics.all(),
    )
    if form.is_valid():
        try:
            services.response_code(
                response=response,
                expected_version=form.cleaned_data["version"],
                answers=form.answers(),
                positions=form.positions(),
            )
        except (services.ConcurrentEdit, services.TransitionError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Positions and answers saved."))
            return redirect(f"{reverse('responses:response-detail', args=[response.pk])}#coding")
    return render(request, "responses/response_detail.html", _detail_context(request, response, coding_form=form))


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def response_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct how and when a received submission came in, and its summary."""
    response = _get_response(pk)
    if response.status != ResponseStatus.RECEIVED:
        raise Http404("Only received submissions have these details.")
    form = ResponseDetailsForm(request.POST or None, instance=response)
    if request.method == "POST" and form.is_valid():
        try:
            services.response_update_details(
                response=response,
                expected_version=form.cleaned_data["version"],
                channel=form.cleaned_data["channel"],
                received_on=form.cleaned_data["received_on"],
                summary=form.cleaned_data["summary"],
            )
        except services.ConcurrentEdit as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The details of the submission are saved."))
            return redirect("responses:response-detail", pk=response.pk)
    return render(request, "responses/response_edit.html", {"form": form, "response": response})


@require_POST
@role_required(*EDITORS)
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add files to a logged response; each is checked, stored as it is, and its text extracted."""
    response = _get_response(pk)
    form = AttachmentAddForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            added = services.response_attach_files(
                response=response, files=form.cleaned_data["files"], uploaded_by=request.user
            )
        except services.TransitionError as exc:
            messages.error(request, str(exc))
            return redirect(response)
        messages.success(request, _("%(count)d file(s) added; their text is being extracted.") % {"count": len(added)})
        return redirect(f"{reverse('responses:response-detail', args=[response.pk])}#attachments")
    return render(request, "responses/response_detail.html", _detail_context(request, response, attach_form=form))


@require_GET
@role_required()
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """The original file, byte for byte, as a download under the name it was sent with."""
    attachment = _get_attachment(pk)
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The stored file is missing.") from None
    return FileResponse(
        stored, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )


@require_POST
@role_required(*EDITORS)
def attachment_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the text extraction of a file again, after a failure."""
    attachment = _get_attachment(pk)
    if services.attachment_retry_extraction(attachment=attachment):
        messages.info(request, _("Extraction of “%(name)s” queued again.") % {"name": attachment.original_name})
    else:
        messages.warning(
            request, _("“%(name)s” has nothing to retry: its extraction is done or under way.") % {"name": attachment}
        )
    if request.htmx:
        # The panel swaps itself for one that polls until the new extraction is done.
        return render(request, "responses/_response_text.html", _text_context(request, attachment.response))
    return HttpResponseRedirect(f"{reverse('responses:response-detail', args=[attachment.response_id])}#text-panel")


@require_GET
@role_required()
def matrix(request: HttpRequest, slug: str) -> HttpResponse:
    """Organisations that responded by the consultation's topics: each coded stance, a page of rows at a time,
    and counts per topic over all of them (cached, see responses/matrix.py)."""
    consultation = get_object_or_404(Consultation.objects.select_related("issuer"), slug=slug)
    topics = list(consultation.topics.all())
    # Campaigns collapsed: each counts once, through its representative's positions.
    collapsed = request.GET.get("campaigns") == "collapsed"
    everyone = stance_matrix.totals(consultation.pk, collapsed=collapsed)
    countries_present = sorted(((code, countries.name(code)) for code in everyone.countries), key=lambda pair: pair[1])
    matrix_filter = MatrixFilter(
        request.GET or None,
        queryset=stance_matrix.responded_to(consultation.pk, collapsed=collapsed)
        .select_related("organisation")
        .only("pk", "consultation_id", "status", "received_on", "campaign_id", "organisation__name")
        .prefetch_related(
            Prefetch("positions", queryset=Position.objects.only("pk", "response_id", "topic_id", "stance").order_by())
        )
        .order_by("organisation__name", "received_on", "pk"),
        countries_present=countries_present,
    )
    chosen = matrix_filter.form.cleaned_data if matrix_filter.is_bound and matrix_filter.form.is_valid() else {}
    filtered = (
        stance_matrix.totals(
            consultation.pk, kind=chosen.get("kind") or "", country=chosen.get("country") or "", collapsed=collapsed
        )
        if chosen.get("kind") or chosen.get("country")
        else everyone
    )
    if matrix_filter.is_bound and not matrix_filter.form.is_valid():
        filtered = stance_matrix.MatrixTotals(responses=0, counts={}, countries=everyone.countries)
    paginator = KnownCountPaginator(matrix_filter.qs, MATRIX_PAGE_SIZE, count=filtered.responses)
    page_obj = paginator.get_page(request.GET.get("page"))

    # Cells carry what they show (stance, its label): a page is thousands of them, rendered without lookups.
    labels = {value: str(label) for value, label in Stance.choices}  # translated once
    shown = list(page_obj.object_list)
    several = set(
        stance_matrix.responded_to(consultation.pk)
        .filter(organisation_id__in={response.organisation_id for response in shown})
        .values("organisation_id")
        .annotate(number=Count("pk"))
        .filter(number__gt=1)
        .values_list("organisation_id", flat=True)
        .order_by()
    )
    campaign_sizes = campaigns.campaign_sizes(consultation) if collapsed else {}
    rows = []
    for response in shown:
        by_topic = {position.topic_id: position.stance for position in response.positions.all()}
        rows.append(
            {
                "response": response,
                "url": response.get_absolute_url(),
                "cells": [(topic.pk, by_topic.get(topic.pk), labels.get(by_topic.get(topic.pk))) for topic in topics],
                "several": response.organisation_id in several,
                "campaign_size": campaign_sizes.get(response.campaign_id),
            }
        )
    return render(
        request,
        "responses/matrix.html",
        {
            "consultation": consultation,
            "topics": topics,
            "rows": rows,
            "page_obj": page_obj,
            "responding": filtered.responses,
            "count_rows": filtered.count_rows(topics),
            "not_coded": filtered.not_coded(topics),
            "filter": matrix_filter,
            "can_change": _can_change(request),
            "collapsed": collapsed,
        },
    )
