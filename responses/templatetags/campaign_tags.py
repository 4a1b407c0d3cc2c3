"""Campaign lines on pages owned by other parts of the app: the consultation page and a response."""

from django import template

from responses.campaigns import campaign_summary as summarise
from responses.models import Campaign

register = template.Library()


@register.inclusion_tag("responses/_campaign_summary.html")
def campaign_summary(consultation) -> dict:
    """“N responses in K campaigns”, linking to the consultation's campaigns page."""
    return {"consultation": consultation, "summary": summarise(consultation)}


@register.inclusion_tag("responses/_campaign_note.html", takes_context=True)
def campaign_note(context, response) -> dict:
    """“Part of campaign X (N responses)” on a response that belongs to one."""
    campaign = None
    if response.campaign_id:
        campaign = Campaign.objects.with_size().select_related("consultation").filter(pk=response.campaign_id).first()
    return {
        "response": response,
        "campaign": campaign,
        "can_change": context.get("can_change", False),
        "csrf_token": context.get("csrf_token"),
    }
