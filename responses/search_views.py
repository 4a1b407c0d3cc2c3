"""The search page (responses and organisations) and the user's saved searches."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import role_required
from responses.forms import SavedSearchForm, SearchFilter
from responses.models import Response, SavedSearch
from responses.paging import EstimatedCountPaginator
from responses.search import RANKED_LIMIT, headlines, ranked_search
from stakeholders.models import Organisation
from stakeholders.search import parse_query, search_organisations

PAGE_SIZE = 20
ORGANISATION_LIMIT = 8


def _get_saved_search(request: HttpRequest, pk: int) -> SavedSearch:
    """A saved search is its owner's alone: anyone else gets a 404."""
    return get_object_or_404(SavedSearch, pk=pk, owner=request.user)


def _search_context(request: HttpRequest) -> dict:
    text = request.GET.get("q", "").strip()
    parsed = parse_query(text)
    search_filter = SearchFilter(
        request.GET or None, queryset=Response.objects.select_related("consultation", "organisation")
    )
    active_filters = search_filter.active_values()
    context = {
        "q": text,
        "filter": search_filter,
        "active_filters": active_filters,
        "page_obj": None,
        "organisations": [],
        "problem": "",
        "searched": bool(text or active_filters),
        "capped": False,
        "ranked_limit": RANKED_LIMIT,
    }
    if text and parsed.is_empty:
        context["problem"] = _(
            'There is no word to look for in “%(text)s”. Type words, "a phrase" in double quotes, or the start '
            "of a word followed by *."
        ) % {"text": text}
        return context
    if not context["searched"]:
        return context
    if not search_filter.is_valid():
        context["problem"] = _("Some filters are not valid; correct them to search.")
        return context
    if text:
        found = ranked_search(search_filter.qs, text)
        page_obj = Paginator(found.ids, PAGE_SIZE).get_page(request.GET.get("page"))
        shown = search_filter.qs.in_bulk(page_obj.object_list)
        page_obj.object_list = [shown[pk] for pk in page_obj.object_list if pk in shown]
        context["capped"] = found.capped
    else:
        # Filters alone may select most responses: counted from the planner's estimate when they are many.
        results = search_filter.qs.order_by("-created_at", "-pk")
        page_obj = EstimatedCountPaginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    snippets = headlines([response.pk for response in page_obj], text) if text else {}
    for response in page_obj:
        response.snippet = snippets.get(response.pk, "")
    context["page_obj"] = page_obj
    if text and not parsed.only_negations:
        organisations = Organisation.objects.filter(**search_filter.organisation_conditions())
        context["organisations"] = list(search_organisations(organisations, text)[:ORGANISATION_LIMIT])
    return context


@require_GET
@role_required()
def search(request: HttpRequest) -> HttpResponse:
    """Find responses (and organisations) by their words, narrowed by filters; every role may search."""
    context = _search_context(request)
    context["saved_form"] = SavedSearchForm(owner=request.user, initial={"name": context["q"][:200]})
    if request.htmx and not request.htmx.boosted:
        return render(request, "responses/_search_results.html", {**context, "fragment": True})
    context["saved_searches"] = list(SavedSearch.objects.owned_by(request.user)[:10])
    return render(request, "responses/search.html", context)


def _search_params(data: QueryDict) -> tuple[str, dict[str, list[str]]]:
    """The search and filters posted with a saved-search form (hidden fields repeating the page's query)."""
    search_filter = SearchFilter(data)
    return data.get("q", "").strip(), search_filter.active_values()


def _unsaveable(query: str) -> str:
    """Why a search cannot be kept as typed, or "": it is saved whole or not at all."""
    limit = SavedSearch._meta.get_field("query").max_length
    if "\x00" in query:
        return _("The search holds a null character, which cannot be saved; remove it and search again.")
    if len(query) > limit:
        return _("A search of more than %(limit)d characters cannot be saved; shorten it and search again.") % {
            "limit": limit
        }
    return ""


@require_POST
@role_required()
def saved_search_create(request: HttpRequest) -> HttpResponse:
    """Save the search on the page under a name, with or without its daily e-mail."""
    query, filters = _search_params(request.POST)
    form = SavedSearchForm(request.POST, owner=request.user)
    if not (query or filters):
        messages.error(request, _("Search for something first, then save the search."))
        return redirect("responses:search")
    if problem := _unsaveable(query):
        messages.error(request, problem)
        if "\x00" in query:
            return redirect("responses:search")
        # Back to the same results, to shorten the search there.
        return redirect(f"{reverse('responses:search')}?{SavedSearch(query=query, filters=filters).querystring()}")
    if form.is_valid():
        saved = form.save(commit=False)
        saved.query, saved.filters = query, filters
        saved.save()
        if saved.email_daily and not request.user.email:
            messages.warning(request, _("Your account has no e-mail address, so no daily e-mail can be sent."))
        messages.success(request, _("Search “%(name)s” saved.") % {"name": saved.name})
        return redirect(saved.get_absolute_url())
    for error in form.errors.get("name", []):
        messages.error(request, error)
    params = SavedSearch(query=query, filters=filters).querystring()
    return redirect(f"{reverse('responses:search')}?{params}")


@require_GET
@role_required()
def saved_search_list(request: HttpRequest) -> HttpResponse:
    saved_searches = list(SavedSearch.objects.owned_by(request.user))
    for saved in saved_searches:
        saved.described_filters = describe_filters(saved)
    return render(request, "responses/savedsearch_list.html", {"saved_searches": saved_searches})


@require_http_methods(["GET", "POST"])
@role_required()
def saved_search_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a saved search, or turn its daily e-mail on or off."""
    saved = _get_saved_search(request, pk)
    form = SavedSearchForm(request.POST or None, instance=saved, owner=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Search “%(name)s” saved.") % {"name": saved.name})
        return redirect("responses:saved-search-list")
    return render(request, "responses/savedsearch_form.html", {"form": form, "saved_search": saved})


@require_POST
@role_required()
def saved_search_toggle_email(request: HttpRequest, pk: int) -> HttpResponse:
    saved = _get_saved_search(request, pk)
    saved.set_email_daily(not saved.email_daily)
    if request.htmx:
        saved.described_filters = describe_filters(saved)
        return render(request, "responses/_savedsearch_row.html", {"saved": saved})
    if saved.email_daily:
        messages.success(request, _("You will get a daily e-mail of new matches of “%(name)s”.") % {"name": saved})
    else:
        messages.success(request, _("No more e-mails for “%(name)s”.") % {"name": saved})
    return redirect("responses:saved-search-list")


@require_http_methods(["GET", "POST"])
@role_required()
def saved_search_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = _get_saved_search(request, pk)
    if request.method == "POST":
        saved.delete()
        messages.success(request, _("Search “%(name)s” deleted.") % {"name": saved.name})
        return redirect("responses:saved-search-list")
    return render(request, "responses/savedsearch_confirm_delete.html", {"saved_search": saved})


def describe_filters(saved: SavedSearch) -> list[tuple[str, str]]:
    """(label, value) of each filter of a saved search, as a person reads them."""
    data = QueryDict(mutable=True)
    for key, values in saved.filters.items():
        data.setlist(key, [str(value) for value in (values if isinstance(values, list) else [values])])
    form = SearchFilter(data).form
    if not form.is_valid():
        return [(_("Filters"), _("no longer valid (something they name was deleted)"))]
    described = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, ""):
            continue
        if hasattr(field, "label_from_instance"):
            shown = field.label_from_instance(value)
        elif getattr(field, "choices", None):
            shown = str(dict(field.choices).get(value, value))
        else:
            shown = date_format(value) if hasattr(value, "isoformat") else str(value)
        described.append((str(field.label), shown))
    return described
