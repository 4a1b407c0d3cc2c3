"""Text for XML written as strings by the builders that stream their documents (XLSX sheets, DOCX body).

Making an element object per cell or run cost most of those builds' time, so their hot loops write XML
text instead; this is the one escaping they share.
"""

import re

# A carriage return is escaped too, or the reader would turn it into a line feed.
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;"}
_SPECIAL = re.compile('[&<>"\r]')


def escape(text: str) -> str:
    """Text safe as an XML element's content or a double-quoted attribute's value."""
    return _SPECIAL.sub(lambda match: _ESCAPES[match.group()], text) if _SPECIAL.search(text) else text
