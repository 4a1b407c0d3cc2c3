"""Positions across consultations: an organisation's stances on a subject over the years, or two compared."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import role_required
from responses.forms import PositionsForm, topic_name_choices
from responses.models import Stance
from responses.positions import positions_over_time


@require_GET
@role_required()
def positions(request: HttpRequest) -> HttpResponse:
    """Pick an organisation (and another to compare with) and a tag or topic name; see their stances in time."""
    # Without an organisation the query only pre-fills the form (a tag linked from a consultation's topics).
    chosen = "organisation" in request.GET
    form = PositionsForm(request.GET if chosen else None, initial=None if chosen else request.GET.dict())
    result = None
    if form.is_bound and form.is_valid():
        result = positions_over_time(
            organisations=form.organisations(),
            tag=form.cleaned_data.get("tag"),
            name=form.cleaned_data.get("topic", ""),
        )
    return render(
        request,
        "responses/positions.html",
        {
            "form": form,
            "result": result,
            "subject_tag": form.cleaned_data.get("tag") if result else None,
            "subject_name": form.cleaned_data.get("topic", "") if result else "",
            "topic_names": topic_name_choices(),
            "stances": Stance,
        },
    )
