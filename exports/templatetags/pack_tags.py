"""Template helpers for the PDF pack."""

import re

from django import template

from exports.pack import text_direction

register = template.Library()


@register.filter
def text_dir(value: object) -> str:
    """The writing direction of a user's text, for a dir attribute: Arabic names run right to left."""
    return text_direction(str(value or ""))


@register.filter
def paragraphs(value: object) -> list[str]:
    """A text's paragraphs (split at blank lines, as Django's linebreaks does), each laid out as a <p> of
    its own: a paragraph without <br> inside is laid out faster than one broken by them."""
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    return [paragraph for paragraph in re.split(r"\n{2,}", text) if paragraph.strip()]
