"""The footer of pack.pdf ("Responses · Page X of Y"), stamped on each page once the pages are joined.

pack.pdf is laid out in parts, so while a part is laid out the pack's page count is not yet known;
laying every part out a second time just to print the total doubled the cost of the PDF. The footer
is therefore written afterwards, as a few drawing operators appended to each page (pdf_join.py), in
Helvetica (one of the PDF's standard fonts, which every reader has, so nothing is embedded). The
section's name is stamped here too rather than laid out in a header margin box on every page, which
cost WeasyPrint a few percent of its time. Both are user interface text, and its languages (English,
French) are within Helvetica's WinAnsi encoding; a character outside it would print as "?". (The
consultation's title, user text in any script, stays in the header that WeasyPrint lays out.)
"""

import re

from pypdf.generic import NameObject, RectangleObject

try:  # pypdf's table of the standard fonts' glyph widths (from Adobe's AFM files)
    from pypdf._codecs.core_font_metrics import CORE_FONT_METRICS

    HELVETICA_WIDTHS: dict[str, int] = dict(CORE_FONT_METRICS["Helvetica"].character_widths)
except (ImportError, KeyError, AttributeError):  # pragma: no cover  (a pypdf without the table)
    HELVETICA_WIDTHS = {}
DEFAULT_WIDTH = HELVETICA_WIDTHS.get("default", 556)

FONT_SIZE = 8  # points, as the header's 7.5pt
GRAY = 0.267  # #444
# The footer's baseline above the bottom of the page: centred in the 16 mm bottom margin of pack.html.
BASELINE = 20


def text_width(text: str, size: float = FONT_SIZE) -> float:
    return sum(HELVETICA_WIDTHS.get(char, DEFAULT_WIDTH) for char in text) * size / 1000


def pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsi (cp1252): parentheses and backslashes escaped."""
    raw = text.encode("cp1252", errors="replace")
    return b"(" + re.sub(rb"([()\\])", rb"\\\1", raw) + b")"


def footer_text(template: str, *, page: int, pages: int, section: str = "") -> str:
    """The translated "Page {page} of {pages}" with its numbers, after the section's name if any."""
    values = {"page": str(page), "pages": str(pages)}
    text = re.sub(r"\{(pages|page)\}", lambda match: values[match.group(1)], template)
    return f"{section} · {text}" if section else text


def footer_operators(text: str, box: RectangleObject, font: NameObject) -> bytes:
    """Drawing operators for the footer, centred at the foot of a page of that box; `font` names the
    Helvetica font in the page's resources."""
    x = float(box.left) + (float(box.width) - text_width(text)) / 2
    y = float(box.bottom) + BASELINE
    return b"Q\nq BT %s %d Tf %.3f g %.2f %.2f Td %s Tj ET Q\n" % (
        font.encode(),
        FONT_SIZE,
        GRAY,
        x,
        y,
        pdf_string(text),
    )
