import datetime
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import role_required
from accounts.roles import Role
from consultations import services
from consultations.filters import ConsultationFilter
from consultations.forms import ConsultationForm, InvitationForm, QuestionFormSet, TopicFormSet
from consultations.models import Consultation, ConsultationQuerySet
from stakeholders.models import Organisation

PAGE_SIZE = 25
DETAIL_RESPONSES = 50
TYPE_AHEAD_LIMIT = 10
DETAIL_RESPONSE_FIELDS = ["consultation", "status", "channel", "received_on", "submitted_at", "organisation__name"]
MANAGERS = (Role.POLICY_STAFF, Role.ADMIN)

# The list page's tabs: key in the query string, label.
TABS = [
    ("open", gettext_lazy("Open")),
    ("closing", gettext_lazy("Closing within 7 days")),
    ("upcoming", gettext_lazy("Upcoming")),
    ("closed", gettext_lazy("Closed")),
    ("all", gettext_lazy("All")),
]


def _get_consultation(slug: str) -> Consultation:
    """Every team member may see every consultation; an unknown slug is a 404."""
    return get_object_or_404(Consultation.objects.select_related("issuer"), slug=slug)


def _can_manage(request: HttpRequest) -> bool:
    return request.user.has_role(*MANAGERS)


def _wants_fragment(request: HttpRequest) -> bool:
    """htmx asked for part of a page (a history restore needs the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _tab_queryset(queryset: ConsultationQuerySet, tab: str, now: datetime.datetime) -> ConsultationQuerySet:
    if tab == "open":
        return queryset.open(now).order_by("deadline", "pk")
    if tab == "closing":
        return queryset.closing_within(days=7, now=now).order_by("deadline", "pk")
    if tab == "upcoming":
        return queryset.upcoming(now).order_by("opens_at", "pk")
    if tab == "closed":
        return queryset.closed(now).order_by("-deadline", "-pk")
    return queryset.order_by("-deadline", "-pk")


@require_GET
@role_required()
def consultation_list(request: HttpRequest) -> HttpResponse:
    """Consultations by tab (open, closing soon, upcoming, closed, all), filtered and paginated."""
    now = timezone.now()
    filterset = ConsultationFilter(request.GET, queryset=Consultation.objects.all(), request=request)
    filtered = filterset.qs
    tab = request.GET.get("tab", "open")
    if tab not in dict(TABS):
        tab = "open"
    # Every tab counted in one query; the page of the active tab reuses its count.
    counts = filtered.order_by().aggregate(
        **{
            key: Count("pk", distinct=True, filter=Q(pk__in=_tab_queryset(filtered, key, now).values("pk")))
            for key, _label in TABS
        }
    )
    tabs = [{"key": key, "label": label, "count": counts[key], "active": key == tab} for key, label in TABS]
    rows = _tab_queryset(filtered, tab, now).select_related("issuer").prefetch_related("tags").with_response_count()
    paginator = Paginator(rows, PAGE_SIZE)
    paginator.count = counts[tab]  # a cached property, set: no second COUNT
    page_obj = paginator.get_page(request.GET.get("page"))
    context = {
        "filterset": filterset,
        "tabs": tabs,
        "tab": tab,
        "page_obj": page_obj,
        "consultations": page_obj.object_list,
        "can_manage": _can_manage(request),
    }
    template = (
        "consultations/_consultation_list.html" if _wants_fragment(request) else "consultations/consultation_list.html"
    )
    return render(request, template, context)


def _invitations_context(consultation: Consultation, form: InvitationForm | None, notice: str = "") -> dict:
    return {
        "consultation": consultation,
        "invitations": consultation.invitations.select_related("organisation").with_responded(),
        "invitation_form": form,
        "notice": notice,
    }


def _render_detail(
    request: HttpRequest, consultation: Consultation, *, invitation_form: InvitationForm | None = None
) -> HttpResponse:
    can_manage = _can_manage(request)
    # Counted in the consultation's own query where the caller annotated it (a query less per view).
    response_count = getattr(consultation, "response_count", None)
    if response_count is None:
        response_count = consultation.responses.count()
    if can_manage and invitation_form is None:
        invitation_form = InvitationForm(consultation=consultation)
    context = {
        **_invitations_context(consultation, invitation_form if can_manage else None),
        "status": consultation.status,
        "tags": consultation.tags.all(),
        "owners": consultation.owners.all(),
        "questions": consultation.questions.all(),
        "topics": consultation.topics.prefetch_related("tags"),
        # The first responses only: the largest consultations draw thousands (the list and matrix have them all).
        "responses": consultation.responses.select_related("organisation")
        .only(*DETAIL_RESPONSE_FIELDS)
        .order_by("organisation__name", "pk")[:DETAIL_RESPONSES],
        "response_count": response_count,
        "can_manage": can_manage,
    }
    return render(request, "consultations/consultation_detail.html", context)


@require_GET
@role_required()
def consultation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One consultation: its deadline in both zones, questions, topics, invitations and responses."""
    consultation = get_object_or_404(Consultation.objects.select_related("issuer").with_response_count(), slug=slug)
    return _render_detail(request, consultation)


def _consultation_form_page(request: HttpRequest, load: Callable[[], Consultation], *, initial: dict) -> HttpResponse:
    """The create and edit page: the consultation with its questions and topics, saved together.

    `load` gives the consultation as stored (or a new one), again if saving has to start over.
    """
    data = request.POST if request.method == "POST" else None
    consultation = load()
    form = ConsultationForm(data, instance=consultation, initial=initial)
    questions = QuestionFormSet(data, instance=consultation)
    topics = TopicFormSet(data, instance=consultation)
    if data is not None and all([form.is_valid(), questions.is_valid(), topics.is_valid()]):
        is_new = consultation.pk is None
        try:
            saved = services.consultation_save(form=form, questions=questions, topics=topics)
        except IntegrityError:
            # Someone else saved the same consultation meanwhile; everything was rolled back.
            consultation = load()
            form = ConsultationForm(data, instance=consultation, initial=initial)
            questions = QuestionFormSet(data, instance=consultation)
            topics = TopicFormSet(data, instance=consultation)
            form.is_valid()
            form.add_error(
                None, _("Someone else changed this consultation meanwhile. Check the values and save again.")
            )
        else:
            if is_new:
                messages.success(request, _("The consultation “%(title)s” was created.") % {"title": saved.title})
            else:
                messages.success(request, _("The consultation “%(title)s” was saved.") % {"title": saved.title})
            return redirect(saved)
    if data is not None and consultation.pk:
        # An invalid form has already written what was typed (an empty slug, say) onto the instance; the
        # breadcrumb and Cancel link name the consultation as stored.
        consultation = load()
    context = {
        "consultation": consultation,
        "form": form,
        "question_formset": questions,
        "topic_formset": topics,
        "formsets": [questions, topics],
    }
    return render(request, "consultations/consultation_form.html", context)


@require_http_methods(["GET", "POST"])
@role_required(*MANAGERS)
def consultation_create(request: HttpRequest) -> HttpResponse:
    return _consultation_form_page(
        request, Consultation, initial={"time_zone": request.user.time_zone, "owners": [request.user]}
    )


@require_http_methods(["GET", "POST"])
@role_required(*MANAGERS)
def consultation_edit(request: HttpRequest, slug: str) -> HttpResponse:
    return _consultation_form_page(request, lambda: _get_consultation(slug), initial={})


@require_POST
@role_required(*MANAGERS)
def invitation_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Invite an organisation; the invitations panel is returned to htmx, the page otherwise."""
    consultation = _get_consultation(slug)
    form = InvitationForm(request.POST, consultation=consultation)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                consultation=consultation,
                organisation=form.cleaned_data["organisation"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            notice = _("%(organisation)s is invited.") % {"organisation": invitation.organisation}
            if request.htmx:
                context = _invitations_context(consultation, InvitationForm(consultation=consultation), notice)
                return render(request, "consultations/_invitations.html", {**context, "can_manage": True})
            messages.success(request, notice)
            return redirect(consultation)
    if request.htmx:
        context = _invitations_context(consultation, form)
        return render(request, "consultations/_invitations.html", {**context, "can_manage": True})
    return _render_detail(request, consultation, invitation_form=form)


@require_GET
@role_required(*MANAGERS)
def invitation_options(request: HttpRequest, slug: str) -> HttpResponse:
    """The type-ahead of the invitation form: organisations whose name contains what was typed, those
    already invited shown but not offered."""
    consultation = _get_consultation(slug)
    query = request.GET.get("organisation_query", "").strip()
    organisations = []
    if query:
        invited = consultation.invitations.filter(organisation=OuterRef("pk"))
        organisations = list(
            Organisation.objects.type_ahead(query).annotate(flagged=Exists(invited))[:TYPE_AHEAD_LIMIT]
        )
    context = {"organisations": organisations, "query": query, "flag": _("already invited"), "flag_disables": True}
    return render(request, "stakeholders/_organisation_options.html", context)


@require_POST
@role_required(*MANAGERS)
def invitation_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consultation = _get_consultation(slug)
    invitation = get_object_or_404(consultation.invitations.select_related("organisation"), pk=pk)
    invitation.delete()
    notice = _("The invitation of %(organisation)s was withdrawn.") % {"organisation": invitation.organisation}
    if request.htmx:
        context = _invitations_context(consultation, InvitationForm(consultation=consultation), notice)
        return render(request, "consultations/_invitations.html", {**context, "can_manage": True})
    messages.success(request, notice)
    return redirect(consultation)
