"""Paragraphs of a draft, the differences between two versions, and where a comment's paragraph went.

A paragraph is a block of text separated from the next by a blank line, as Markdown sees it.
Differences are computed paragraph by paragraph, then word by word inside a changed paragraph;
every piece of text is escaped before it is wrapped in <ins> or <del>.
"""

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# A comment follows its paragraph into a later version when the best match is at least this similar.
ANCHOR_MATCH_THRESHOLD = 0.6
# Two paragraphs of a changed block are shown as one edited paragraph from this similarity on.
PAIRING_THRESHOLD = 0.4

_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


def paragraphs(text: str) -> list[str]:
    """The non-empty paragraphs of `text`, trimmed, with Windows line ends made plain."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return [block.strip() for block in _BLANK_LINES.split(text) if block.strip()]


def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _tokens(text: str) -> list[str]:
    return _TOKENS.findall(text)


def word_diff(old: str, new: str) -> SafeString:
    """`new` with the words removed from `old` in <del> and the words added in <ins>, all escaped."""
    a, b = _tokens(old), _tokens(new)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if tag in {"delete", "replace"}:
            out.append(f'<del class="bg-danger-subtle">{escape("".join(a[i1:i2]))}</del>')
        if tag in {"insert", "replace"}:
            out.append(f'<ins class="bg-success-subtle">{escape("".join(b[j1:j2]))}</ins>')
    return mark_safe("".join(out))  # noqa: S308 - every piece of user text above went through escape()


@dataclass(frozen=True)
class ParagraphChange:
    """One line of a paragraph diff: kind is equal, changed, added or removed."""

    kind: str
    old: str = ""
    new: str = ""
    old_number: int | None = None
    new_number: int | None = None

    @property
    def html(self) -> SafeString:
        if self.kind == "changed":
            return word_diff(self.old, self.new)
        if self.kind == "added":
            return mark_safe(f"<ins>{escape(self.new)}</ins>")  # noqa: S308 - escaped
        if self.kind == "removed":
            return mark_safe(f"<del>{escape(self.old)}</del>")  # noqa: S308 - escaped
        return escape(self.new)


@dataclass
class TextDiff:
    changes: list[ParagraphChange] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return any(change.kind != "equal" for change in self.changes)

    def counts(self) -> dict[str, int]:
        counts = {"changed": 0, "added": 0, "removed": 0}
        for change in self.changes:
            if change.kind in counts:
                counts[change.kind] += 1
        return counts


def diff_texts(old: str, new: str) -> TextDiff:
    """Compare two texts paragraph by paragraph; changed paragraphs carry a word diff (see ParagraphChange.html)."""
    a, b = paragraphs(old), paragraphs(new)
    result = TextDiff()
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                result.changes.append(
                    ParagraphChange("equal", a[i1 + offset], b[j1 + offset], i1 + offset + 1, j1 + offset + 1)
                )
        elif tag == "delete":
            result.changes += [ParagraphChange("removed", old=a[i], old_number=i + 1) for i in range(i1, i2)]
        elif tag == "insert":
            result.changes += [ParagraphChange("added", new=b[j], new_number=j + 1) for j in range(j1, j2)]
        else:
            result.changes += _pair_block(a, b, i1, i2, j1, j2)
    return result


def _pair_block(a: list[str], b: list[str], i1: int, i2: int, j1: int, j2: int) -> list[ParagraphChange]:
    """A replaced block: pair each old paragraph, in order, with the most similar new one still free after
    the last pairing; what stays unpaired was removed or added."""
    changes: list[ParagraphChange] = []
    next_new = j1
    for i in range(i1, i2):
        best, best_ratio = None, PAIRING_THRESHOLD
        for j in range(next_new, j2):
            ratio = similarity(a[i], b[j])
            if ratio >= best_ratio:
                best, best_ratio = j, ratio
        if best is None:
            changes.append(ParagraphChange("removed", old=a[i], old_number=i + 1))
            continue
        changes += [ParagraphChange("added", new=b[j], new_number=j + 1) for j in range(next_new, best)]
        changes.append(ParagraphChange("changed", a[i], b[best], i + 1, best + 1))
        next_new = best + 1
    changes += [ParagraphChange("added", new=b[j], new_number=j + 1) for j in range(next_new, j2)]
    return changes


@dataclass(frozen=True)
class Anchor:
    """Where a quoted paragraph is in a later text: its index (None when gone) and whether it changed."""

    index: int | None
    outdated: bool

    @property
    def gone(self) -> bool:
        return self.index is None


def locate_paragraph(quoted: str, current: list[str], *, near: int | None = None) -> Anchor:
    """Find `quoted` among the `current` paragraphs: an exact match first (the nearest to `near` if
    several), else the most similar paragraph if at least ANCHOR_MATCH_THRESHOLD alike (outdated)."""
    quoted = quoted.strip()
    exact = [index for index, text in enumerate(current) if text == quoted]
    if exact:
        return Anchor(min(exact, key=lambda index: abs(index - (near or 0))), outdated=False)
    best, best_ratio = None, ANCHOR_MATCH_THRESHOLD
    for index, text in enumerate(current):
        ratio = similarity(quoted, text)
        if ratio > best_ratio or (ratio == best_ratio and best is None):
            best, best_ratio = index, ratio
    return Anchor(best, outdated=True)
