"""The campaigns page of a consultation and the decisions staff take on it.

Every role reads the page; policy staff and admins confirm a campaign, name it, split members out,
choose its representative, set the consultation's threshold and ask for a recomputation.
"""

from collections import defaultdict

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import role_required
from accounts.roles import Role
from consultations.models import Consultation
from responses import campaigns as service
from responses.diffing import diff_texts
from responses.forms import CampaignMemberForm, CampaignNameForm, CampaignThresholdForm
from responses.models import Campaign, CampaignDetection, Response

EDITORS = (Role.POLICY_STAFF, Role.ADMIN)
CAMPAIGNS_PER_PAGE = 20
# The sample diff compares the beginning of long texts only (a form letter differs in its first pages,
# and a word diff of whole reports would slow the page down).
DIFF_CHARACTERS = 12_000


def _get_consultation(slug: str) -> Consultation:
    return get_object_or_404(Consultation.objects.select_related("issuer"), slug=slug)


def _get_campaign(pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("consultation"), pk=pk)


def _back(campaign: Campaign) -> HttpResponse:
    return redirect(f"{reverse('responses:campaign-list', args=[campaign.consultation.slug])}#campaign-{campaign.pk}")


@require_GET
@role_required()
def campaign_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The campaigns of a consultation, largest first: size, representative, a member's differences
    from the representative (`?compare=<response>` picks the member), and every member."""
    consultation = _get_consultation(slug)
    detection = CampaignDetection.objects.filter(consultation=consultation).first()
    campaigns_qs = (
        Campaign.objects.of(consultation)
        .with_size()
        .select_related("representative__organisation", "confirmed_by")
        .order_by("-size", "pk")
    )
    page_obj = Paginator(campaigns_qs, CAMPAIGNS_PER_PAGE).get_page(request.GET.get("page"))
    campaigns = list(page_obj.object_list)

    members: dict[int, list[Response]] = defaultdict(list)
    for member in (
        Response.objects.filter(campaign__in=campaigns)
        .select_related("organisation")
        .only("pk", "campaign_id", "received_on", "organisation__name", "organisation__slug")
        .order_by("organisation__name", "pk")
    ):
        members[member.campaign_id].append(member)

    compare = request.GET.get("compare", "")
    compare_id = int(compare) if compare.isdigit() else None
    samples: dict[int, Response] = {}
    for campaign in campaigns:
        others = [member for member in members[campaign.pk] if member.pk != campaign.representative_id]
        chosen = [member for member in others if member.pk == compare_id]
        if chosen or others:
            samples[campaign.pk] = (chosen or others)[0]
    wanted = {campaign.representative_id for campaign in campaigns} | {sample.pk for sample in samples.values()}
    texts = {
        response.pk: service.document_text(response)
        for response in service.texts_queryset(Response.objects.filter(pk__in=wanted - {None}))
    }

    rows = []
    for campaign in campaigns:
        sample = samples.get(campaign.pk)
        diff, shortened = None, False
        if sample is not None and campaign.representative_id in texts:
            old, new = texts[campaign.representative_id], texts.get(sample.pk, "")
            shortened = max(len(old), len(new)) > DIFF_CHARACTERS
            diff = diff_texts(old[:DIFF_CHARACTERS], new[:DIFF_CHARACTERS])
        rows.append(
            {
                "campaign": campaign,
                "members": members[campaign.pk],
                "sample": sample,
                "diff": diff,
                "diff_shortened": shortened,
            }
        )

    can_change = request.user.has_role(*EDITORS)
    threshold = detection.threshold if detection else None
    return render(
        request,
        "responses/campaign_list.html",
        {
            "consultation": consultation,
            "detection": detection,
            "summary": service.campaign_summary(consultation),
            "rows": rows,
            "page_obj": page_obj,
            "can_change": can_change,
            "name_form": CampaignNameForm(),
            "threshold_form": CampaignThresholdForm(
                initial={"similarity_threshold": detection.similarity_threshold if detection else None}
            ),
            "threshold": threshold,
            "diff_characters": DIFF_CHARACTERS,
        },
    )


@require_POST
@role_required(*EDITORS)
def campaign_recompute(request: HttpRequest, slug: str) -> HttpResponse:
    """Recompute the campaigns of a consultation now, without waiting for the next change."""
    consultation = _get_consultation(slug)
    service.campaigns_recompute_now(consultation=consultation)
    messages.info(request, _("The campaigns are being recomputed; reload the page in a moment to see the result."))
    return redirect("responses:campaign-list", slug=consultation.slug)


@require_POST
@role_required(*EDITORS)
def campaign_threshold(request: HttpRequest, slug: str) -> HttpResponse:
    """Set (or clear) the consultation's own similarity threshold; the campaigns are then recomputed."""
    consultation = _get_consultation(slug)
    form = CampaignThresholdForm(request.POST)
    if form.is_valid():
        service.campaign_set_threshold(consultation=consultation, threshold=form.cleaned_data["similarity_threshold"])
        messages.success(request, _("The similarity threshold is saved; the campaigns are being recomputed."))
    else:
        messages.error(
            request,
            _("The similarity threshold was not changed: %(reason)s")
            % {"reason": " ".join(form.errors.get("similarity_threshold", []))},
        )
    return redirect("responses:campaign-list", slug=consultation.slug)


@require_POST
@role_required(*EDITORS)
def campaign_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm that the group is one campaign (optionally naming it): it keeps its members from now on."""
    campaign = _get_campaign(pk)
    form = CampaignNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The campaign was not confirmed: %(reason)s") % {"reason": _format_errors(form)})
        return _back(campaign)
    try:
        confirmed = service.campaign_confirm(campaign=campaign, by=request.user, name=form.cleaned_data["name"])
    except service.CampaignError as exc:
        messages.error(request, str(exc))
        return redirect("responses:campaign-list", slug=campaign.consultation.slug)
    messages.success(request, _("%(campaign)s is confirmed.") % {"campaign": confirmed.label})
    return _back(campaign)


@require_POST
@role_required(*EDITORS)
def campaign_unconfirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw the confirmation: detection may reshape the group again."""
    campaign = _get_campaign(pk)
    try:
        service.campaign_unconfirm(campaign=campaign)
    except service.CampaignError as exc:
        messages.error(request, str(exc))
        return redirect("responses:campaign-list", slug=campaign.consultation.slug)
    messages.info(request, _("%(campaign)s is no longer confirmed.") % {"campaign": campaign.label})
    return _back(campaign)


@require_POST
@role_required(*EDITORS)
def campaign_rename(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _get_campaign(pk)
    form = CampaignNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The name was not saved: %(reason)s") % {"reason": _format_errors(form)})
        return _back(campaign)
    try:
        renamed = service.campaign_rename(campaign=campaign, name=form.cleaned_data["name"])
    except service.CampaignError as exc:
        messages.error(request, str(exc))
        return redirect("responses:campaign-list", slug=campaign.consultation.slug)
    messages.success(request, _("The campaign is now called %(campaign)s.") % {"campaign": renamed.label})
    return _back(campaign)


def _member_from(request: HttpRequest, campaign: Campaign) -> Response | None:
    form = CampaignMemberForm(request.POST)
    if form.is_valid():
        member = (
            Response.objects.select_related("organisation")
            .filter(pk=form.cleaned_data["response"], campaign=campaign)
            .first()
        )
        if member is not None:
            return member
    messages.error(request, _("That response is not (or no longer) part of this campaign."))
    return None


@require_POST
@role_required(*EDITORS)
def campaign_split(request: HttpRequest, pk: int) -> HttpResponse:
    """Split a member out of the campaign; it is not grouped again when campaigns are recomputed."""
    campaign = _get_campaign(pk)
    member = _member_from(request, campaign)
    if member is None:
        return _back(campaign)
    try:
        remaining = service.campaign_split_member(campaign=campaign, response=member)
    except service.CampaignError as exc:
        messages.error(request, str(exc))
        return redirect("responses:campaign-list", slug=campaign.consultation.slug)
    if remaining is None:
        messages.info(
            request,
            _("The response of %(organisation)s is split out; %(campaign)s had one response left and is dissolved.")
            % {"organisation": member.organisation, "campaign": campaign.label},
        )
        return redirect("responses:campaign-list", slug=campaign.consultation.slug)
    messages.success(
        request,
        _("The response of %(organisation)s is split out of %(campaign)s and will stay out.")
        % {"organisation": member.organisation, "campaign": campaign.label},
    )
    return _back(campaign)


@require_POST
@role_required(*EDITORS)
def campaign_representative(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose the member that stands for the campaign when campaigns are collapsed."""
    campaign = _get_campaign(pk)
    member = _member_from(request, campaign)
    if member is None:
        return _back(campaign)
    try:
        service.campaign_choose_representative(campaign=campaign, response=member)
    except service.CampaignError as exc:
        messages.error(request, str(exc))
        return redirect("responses:campaign-list", slug=campaign.consultation.slug)
    messages.success(
        request,
        _("The response of %(organisation)s now represents %(campaign)s.")
        % {"organisation": member.organisation, "campaign": campaign.label},
    )
    return _back(campaign)


def _format_errors(form) -> str:
    return " ".join(error for errors in form.errors.values() for error in errors)


@require_POST
@role_required(*EDITORS)
def response_allow_campaigns(request: HttpRequest, pk: int) -> HttpResponse:
    """Let a response that staff split out of a campaign be grouped with similar ones again."""
    response = get_object_or_404(Response.objects.select_related("organisation"), pk=pk)
    if service.response_allow_campaigns(response=response):
        messages.success(
            request,
            _("The response of %(organisation)s may join a campaign again; the campaigns are being recomputed.")
            % {"organisation": response.organisation},
        )
    else:
        messages.info(request, _("This response was not kept out of campaigns."))
    return redirect(response)
