from django import template

from responses.models import Response, ReviewRequest

register = template.Library()


@register.inclusion_tag("responses/_my_work_summary.html", takes_context=True)
def my_work_summary(context) -> dict:
    """A line for the start page: how many reviews wait for the user, and how many of their drafts are open."""
    user = context["request"].user
    return {
        "review_count": ReviewRequest.objects.waiting_for(user).count(),
        "draft_count": Response.objects.in_progress().owned_by(user).count(),
    }
