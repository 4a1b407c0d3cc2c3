"""The watch button, for pages of apps that may not import reminders (the consultation page)."""

from django import template

from consultations.models import Consultation

register = template.Library()


@register.inclusion_tag("reminders/_watch_button.html", takes_context=True)
def watch_button(context: template.Context, consultation: Consultation) -> dict:
    """A Watch / Unwatch button for the signed-in user (one query)."""
    request = context["request"]
    return {
        "consultation": consultation,
        "watching": consultation.watchers.filter(pk=request.user.pk).exists(),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
