"""The "Page X of Y" footer of pack.pdf, stamped on each page once the pages are joined.

pack.pdf is laid out in parts, so while a part is laid out the pack's page count is not yet known;
laying every part out a second time just to print the total doubled the cost of the PDF. The footer
is therefore written afterwards, in pypdf, as a few drawing operators appended to each page, in
Helvetica (one of the PDF's standard fonts, which every reader has, so nothing is embedded). The
pack's user interface languages (English, French) are within its WinAnsi encoding; a character
outside it would print as "?".
"""

import re

from pypdf import PageObject, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

try:  # pypdf's table of the standard fonts' glyph widths (from Adobe's AFM files)
    from pypdf._codecs.core_font_metrics import CORE_FONT_METRICS

    HELVETICA_WIDTHS: dict[str, int] = dict(CORE_FONT_METRICS["Helvetica"].character_widths)
except (ImportError, KeyError, AttributeError):  # pragma: no cover  (a pypdf without the table)
    HELVETICA_WIDTHS = {}
DEFAULT_WIDTH = HELVETICA_WIDTHS.get("default", 556)

FONT_NAME = NameObject("/FPackFooter")
FONT_SIZE = 8  # points, as the header's 7.5pt
GRAY = 0.267  # #444
# The footer's baseline above the bottom of the page: centred in the 20 mm bottom margin of pack.html.
BASELINE = 25.5


def text_width(text: str, size: float = FONT_SIZE) -> float:
    return sum(HELVETICA_WIDTHS.get(char, DEFAULT_WIDTH) for char in text) * size / 1000


def pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsi (cp1252): parentheses and backslashes escaped."""
    raw = text.encode("cp1252", errors="replace")
    return b"(" + re.sub(rb"([()\\])", rb"\\\1", raw) + b")"


class FooterStamp:
    """Writes one translated "Page {page} of {pages}" line, centred at the foot of each page."""

    def __init__(self, writer: PdfWriter, template: str) -> None:
        self.template = template
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
        self.font = writer._add_object(font)
        # The page's own drawing runs between "q" and "Q", so whatever state it leaves (WeasyPrint
        # flips the y axis, for one) is undone before the footer is drawn.
        save = DecodedStreamObject()
        save.set_data(b"q\n")
        self.save = writer._add_object(save)
        self.writer = writer

    def text(self, *, page: int, pages: int) -> str:
        values = {"page": str(page), "pages": str(pages)}
        return re.sub(r"\{(pages|page)\}", lambda match: values[match.group(1)], self.template)

    def apply(self, target: PageObject, *, page: int, pages: int) -> None:
        text = self.text(page=page, pages=pages)
        box = target.mediabox
        x = float(box.left) + (float(box.width) - text_width(text)) / 2
        y = float(box.bottom) + BASELINE
        operators = b"Q\nq BT /FPackFooter %d Tf %.3f g %.2f %.2f Td %s Tj ET Q\n" % (
            FONT_SIZE,
            GRAY,
            x,
            y,
            pdf_string(text),
        )
        footer = DecodedStreamObject()
        footer.set_data(operators)
        contents = target.raw_get("/Contents") if "/Contents" in target else None
        streams = ArrayObject([self.save])
        if contents is not None:
            resolved = contents.get_object()
            streams.extend(resolved if isinstance(resolved, ArrayObject) else [contents])
        streams.append(self.writer._add_object(footer))
        target[NameObject("/Contents")] = streams

        resources = target.get("/Resources")
        if resources is None:
            resources = DictionaryObject()
            target[NameObject("/Resources")] = resources
        resources = resources.get_object()
        fonts = resources.get("/Font")
        if fonts is None:
            fonts = DictionaryObject()
            resources[NameObject("/Font")] = fonts
        fonts.get_object()[FONT_NAME] = self.font
