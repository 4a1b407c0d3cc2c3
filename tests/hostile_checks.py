"""Checks that a page, an e-mail or a JSON document shows hostile text as text and never as markup."""

import re

import lxml.html

from tests.hostile import CORPUS, Hostile

# Attributes through which a browser fetches or runs a URL.
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc")
SCRIPT_SCHEME = re.compile(r"^\s*(javascript|vbscript|data\s*:\s*text/html)", re.IGNORECASE)
# Tags that user text would create if a page printed it unescaped (the corpus uses each of these).
INJECTED_TAG_TEXT = {"b": "bold"}
# Where a draft's Markdown is rendered: simple formatting (<b>) is allowed there, by design.
MARKDOWN_CLASSES = ("draft-paragraph", "draft-preview")


def _in_markdown(element) -> bool:
    return any(
        any(name in (parent.get("class") or "").split() for name in MARKDOWN_CLASSES)
        for parent in element.iterancestors()
    )


def flat(text: str) -> str:
    """Text with runs of white space (line breaks turned into <br>, indents) made single spaces, and
    control characters left out (a page may keep them or not; a reader sees nothing either way)."""
    return " ".join("".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 32).split())


def shown_as(entry: Hostile, *, limit: int = 80) -> str:
    """The start of the entry as a page shows it."""
    return flat(entry.text)[:limit].strip()


def parse(html: str | bytes) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(html)


def injected(html: str | bytes) -> list[str]:
    """Every sign of markup made from user input: script without our static source, event attributes,
    script URLs, the corpus's <img src=x> and <b>bold</b>."""
    document = parse(html)
    problems = []
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        if tag == "script" and not (element.get("src") or "").startswith("/static/"):
            problems.append(f"<script> without our source: {lxml.html.tostring(element)[:120]!r}")
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                problems.append(f"<{tag} {name}={value!r}>")
            if name.lower() in URL_ATTRIBUTES and SCRIPT_SCHEME.match(value or ""):
                problems.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and element.get("src") == "x":
            problems.append("<img src=x>")
        if INJECTED_TAG_TEXT.get(tag) == (element.text or "").strip() and not _in_markdown(element):
            problems.append(f"<{tag}>{element.text}</{tag}>")
        if tag == "svg" and element.get("onload") is not None:
            problems.append("<svg onload>")
    return problems


def assert_no_markup_from_users(html: str | bytes, where: str = "") -> None:
    problems = injected(html)
    assert not problems, f"{where}: markup made from user input: {problems}"


def visible_text(html: str | bytes) -> str:
    """The text a reader sees (and the values of form fields, which also show it), white space collapsed."""
    document = parse(html)
    parts = [document.text_content()]
    for element in document.iter("input", "option"):
        parts.append(element.get("value") or "")
    for element in document.iter():
        if isinstance(element.tag, str):
            parts.extend(element.get(name) or "" for name in ("title", "aria-label", "value", "placeholder"))
    return flat(" ".join(parts))


def assert_shows_literally(html: str | bytes, entries: list[Hostile] = CORPUS, where: str = "") -> None:
    """Each entry's text appears as text, exactly as typed (the start of it, for long ones)."""
    text = visible_text(html)
    missing = [entry.key for entry in entries if shown_as(entry) not in text]
    assert not missing, f"{where}: not shown as typed: {missing}"


def assert_escaped_page(html: str | bytes, entries: list[Hostile], where: str = "") -> None:
    assert_no_markup_from_users(html, where)
    assert_shows_literally(html, entries, where)
