"""Template helpers for the PDF pack."""

from django import template

from exports.pack import text_direction

register = template.Library()


@register.filter
def text_dir(value: object) -> str:
    """The writing direction of a user's text, for a dir attribute: Arabic names run right to left."""
    return text_direction(str(value or ""))
