from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Lower, TruncDate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import role_required
from accounts.roles import Role
from stakeholders.filters import OrganisationFilter
from stakeholders.forms import ContactForm, OrganisationForm, OrganisationMergeForm
from stakeholders.models import Contact, Organisation, OrganisationMerge
from stakeholders.services import organisation_merge, organisation_merge_plan

EDITORS = (Role.POLICY_STAFF, Role.ADMIN)
PAGE_SIZE = 25
MERGE_CANDIDATES_SHOWN = 20

# Sortable columns of the organisation table: (sort key, heading).
COLUMNS = [
    ("name", gettext_lazy("Name")),
    ("kind", gettext_lazy("Kind")),
    ("country", gettext_lazy("Country")),
    ("responses", gettext_lazy("Responses")),
]


def _get_organisation(slug: str) -> Organisation:
    return get_object_or_404(Organisation.objects.select_related("parent"), slug=slug)


def _get_contact(pk: int) -> Contact:
    return get_object_or_404(Contact.objects.select_related("organisation"), pk=pk)


def _wants_fragment(request: HttpRequest) -> bool:
    """An htmx request for part of the page; a history restore needs the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _sortable_columns(current: str) -> list[dict]:
    """Column headings as sort links: a click sorts by the column, a second click reverses it."""
    columns = []
    for key, heading in COLUMNS:
        direction = "asc" if current == key else "desc" if current == f"-{key}" else ""
        if direction:
            next_sort = f"-{key}" if direction == "asc" else key
        else:
            next_sort = f"-{key}" if key == "responses" else key  # most responses first is the useful start
        columns.append({"heading": heading, "direction": direction, "next": next_sort, "numeric": key == "responses"})
    return columns


@require_GET
@role_required()
def organisation_list(request: HttpRequest) -> HttpResponse:
    """All organisations: live search on name and aliases, filters, sortable columns, pages."""
    queryset = Organisation.objects.select_related("parent").prefetch_related("aliases").with_response_count()
    filterset = OrganisationFilter(request.GET or None, queryset=queryset)
    page_obj = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filterset": filterset,
        "page_obj": page_obj,
        "organisations": page_obj.object_list,
        "columns": _sortable_columns(filterset.current_sort),
        "can_edit": request.user.has_role(*EDITORS),
    }
    template = "stakeholders/_organisation_table.html" if _wants_fragment(request) else None
    response = render(request, template or "stakeholders/organisation_list.html", context)
    # The same URL answers with a fragment or a page: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@role_required()
def organisation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One organisation: its facts, contacts, and every response it made, newest first."""
    try:
        organisation = _get_organisation(slug)
    except Http404:
        # The address of an organisation merged away leads to the one it was merged into.
        merge = OrganisationMerge.objects.filter(merged_slug=slug).select_related("survivor").first()
        if merge is None:
            raise
        return redirect(merge.survivor)

    responses = (
        organisation.responses.select_related("consultation")
        .prefetch_related("positions__topic")
        .annotate(dated=Coalesce("received_on", TruncDate("submitted_at"), TruncDate("created_at")))
        .order_by(F("dated").desc(nulls_last=True), "-created_at")
    )
    context = {
        "organisation": organisation,
        "aliases": organisation.aliases.all(),
        "subsidiaries": organisation.subsidiaries.order_by("name"),
        "contacts": organisation.contacts.order_by("name"),
        "responses": responses,
        "merges": organisation.merges.select_related("merged_by"),
        "can_edit": request.user.has_role(*EDITORS),
    }
    return render(request, "stakeholders/organisation_detail.html", context)


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def organisation_create(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            organisation = form.save()
        messages.success(request, _("Organisation “%(name)s” created.") % {"name": organisation.name})
        return redirect(organisation)
    return render(request, "stakeholders/organisation_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def organisation_edit(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _get_organisation(slug)
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            organisation = form.save()
        messages.success(request, _("Organisation “%(name)s” saved.") % {"name": organisation.name})
        return redirect(organisation)
    # The heading names the organisation as stored, not as half-typed in a refused form.
    organisation.refresh_from_db(fields=["name", "slug"])
    return render(request, "stakeholders/organisation_form.html", {"form": form, "organisation": organisation})


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def organisation_merge_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Merge this organisation (a duplicate) into another: choose, confirm, then POST."""
    remove = _get_organisation(slug)
    data = request.POST if request.method == "POST" else request.GET if "keep" in request.GET else None
    form = OrganisationMergeForm(data, remove=remove)

    if data is not None and form.is_valid():
        keep = form.cleaned_data["keep"]
        if request.method == "GET":
            plan = organisation_merge_plan(keep=keep, remove=remove)
            context = {"remove": remove, "keep": keep, "plan": plan, "form": form}
            return render(request, "stakeholders/organisation_merge_confirm.html", context)
        try:
            organisation_merge(keep=keep, remove=remove, merged_by=request.user)
        except ValidationError as error:
            # Another user changed one of them between confirmation and POST.
            for message in error.messages:
                messages.error(request, message)
            return redirect("stakeholders:organisation-list")
        messages.success(
            request,
            _("%(remove)s was merged into %(keep)s; its name is now an alias.")
            % {"remove": remove.name, "keep": keep.name},
        )
        return redirect(keep)

    query = request.GET.get("q", "").strip()
    candidates = (
        Organisation.objects.exclude(pk=remove.pk)
        .matching(query)
        .prefetch_related("aliases")
        .order_by(Lower("name"), "pk")[:MERGE_CANDIDATES_SHOWN]
        if query
        else Organisation.objects.none()
    )
    context = {"remove": remove, "form": form, "query": query, "candidates": candidates}
    if _wants_fragment(request):
        response = render(request, "stakeholders/_merge_candidates.html", context)
    else:
        response = render(request, "stakeholders/organisation_merge.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _save_contact(request: HttpRequest, form: ContactForm) -> Contact | None:
    """Save, turning a duplicate e-mail that slipped past the form (a race) into a field error."""
    try:
        with transaction.atomic():
            return form.save()
    except IntegrityError:
        form.add_error("email", ContactForm.duplicate_email_message)
        return None


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def contact_create(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _get_organisation(slug)
    form = ContactForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid() and (contact := _save_contact(request, form)):
        messages.success(request, _("Contact “%(name)s” added.") % {"name": contact.name})
        return redirect(organisation)
    return render(request, "stakeholders/contact_form.html", {"form": form, "organisation": organisation})


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _get_contact(pk)
    form = ContactForm(request.POST or None, instance=contact, organisation=contact.organisation)
    if request.method == "POST" and form.is_valid() and (contact := _save_contact(request, form)):
        messages.success(request, _("Contact “%(name)s” saved.") % {"name": contact.name})
        return redirect(contact.organisation)
    contact.refresh_from_db(fields=["name"])  # the heading shows the stored name, not the refused one
    context = {"form": form, "organisation": contact.organisation, "contact": contact}
    return render(request, "stakeholders/contact_form.html", context)


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; only POST deletes."""
    contact = _get_contact(pk)
    if request.method == "POST":
        contact.delete()
        messages.success(request, _("Contact “%(name)s” deleted.") % {"name": contact.name})
        return redirect(contact.organisation)
    return render(request, "stakeholders/contact_delete.html", {"contact": contact})
