"""pack.pdf: the Django template exports/pack.html laid out by WeasyPrint, one part at a time.

WeasyPrint lays a whole document out in memory before it writes a page (about 3 MB a page here), so
a 5,000-response pack in one document would need gigabytes. The pack is therefore cut into parts of
about PART_TEXT_BUDGET characters each (the cover, the contents, then the stance matrix, the
responses, the answers by question and the appendix, each in as many parts as it takes), each laid
out alone, exactly once; the parts' PDFs are then joined (pdf_join.py):

1. Each body part is rendered to HTML from one batch of rows and handed to a child process, which
   lays it out and writes it to a PDF of its own; its page count and the page on which each response
   and question starts are kept. EXPORT_PDF_PROCESSES children work side by side (pdf_layout.py),
   while this process reads the next batch and renders its HTML.
2. The front matter (cover and contents, which lists those pages) is laid out until its own page count
   is stable, since the body's page numbers start after it, and written. It is small: a line a response.
3. The PDFs are joined, with bookmarks (the PDF's outline) for chapters, responses and questions, and
   each page gets its "Page X of Y" footer, stamped now that the total is known (footer.py). The
   join streams too: it holds one part at a time.

So memory holds one part at a time per child, and laying out, the costly step, is done once per page. One
response longer than the budget still makes one part, so a single enormous submission needs memory
of its own size.
"""

import math
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from exports.builders.attachments import named_attachments
from exports.builders.pdf_join import Bookmark, join_parts
from exports.builders.pdf_layout import LaidOut, LayoutPool
from exports.pack import STANCE_SHORT, PackSource
from responses.models import Answer, Response, Stance

T = TypeVar("T")

# About a dozen pages of text: a part's size, and so the memory each layout process needs for it (some
# 30 MB above its 65 MB baseline). Smaller parts cost little time: some 20 ms of set-up each.
PART_TEXT_BUDGET = 60_000
# Table rows per part, for the matrix and the appendix (a matrix row costs the most), and the contents.
ROWS_PER_PART = 100
CONTENTS_ROWS_PER_PART = 300
# Lines of the contents on an A4 page (pack.html's margins and font): to guess its length.
CONTENTS_ROWS_PER_PAGE = 51


@dataclass
class Part:
    template: str
    context: dict
    section: str
    # (anchor id, bookmark title, bookmark level) of what starts in this part.
    marks: list[tuple[str, str, int]] = field(default_factory=list)
    responses: int = 0


def _chunks(items: Iterable[T], *, size: Callable[[T], int] = lambda item: 1, budget: int) -> Iterator[list[T]]:
    """Consecutive lists of items whose sizes add up to about `budget`; at least one item per list,
    and at least one list (empty when there are no items)."""
    chunk: list[T] = []
    used = 0
    for item in items:
        cost = size(item)
        if chunk and used + cost > budget:
            yield chunk
            chunk, used = [], 0
        chunk.append(item)
        used += cost
    yield chunk


def _response_size(response: Response) -> int:
    """Roughly how many characters a response's section holds, headings and tables counted."""
    size = 600 + len(response.summary)
    size += sum(100 + len(position.summary) + len(position.quote) for position in response.positions.all())
    size += sum(100 + len(answer.text) for answer in response.answers.all())
    return size + sum(60 + len(attachment.original_name) for attachment in response.attachments.all())


def _answer_size(answer: Answer) -> int:
    return 150 + len(answer.text)


def _body_parts(source: PackSource, *, include_attachments: bool) -> Iterator[Part]:
    """The body of the pack, in order, one part at a time; the rows are read lazily, batch by batch."""
    common = {"topics": source.topics, "include_attachments": include_attachments}
    legend = [(value, STANCE_SHORT[Stance(value)], label) for value, label in Stance.choices]

    heading = _("Stance matrix")
    for number, rows in enumerate(_chunks(source.iter_matrix(), budget=ROWS_PER_PART), start=1):
        context = {**common, "rows": rows, "first": number == 1, "part_number": number, "stance_legend": legend}
        context["wide"] = True
        yield Part("exports/_pack_matrix.html", context, heading, [("matrix", heading, 1)] if number == 1 else [])

    heading = _("Responses")
    chunks = _chunks(source.iter_responses(), size=_response_size, budget=PART_TEXT_BUDGET)
    for number, responses in enumerate(chunks, start=1):
        marks = [("responses", heading, 1)] if number == 1 else []
        marks += [(f"response-{response.pk}", response.organisation.name, 2) for response in responses]
        context = {**common, "responses": responses, "first": number == 1}
        yield Part("exports/_pack_responses.html", context, heading, marks, len(responses))

    heading = _("Answers by question")
    for index, question in enumerate(source.questions):
        title = _("Question %(number)s") % {"number": question.number}
        chunks = _chunks(source.iter_answers(question), size=_answer_size, budget=PART_TEXT_BUDGET)
        for number, answers in enumerate(chunks, start=1):
            marks = [("by-question", heading, 1)] if index == 0 and number == 1 else []
            if number == 1:
                marks.append((f"question-{question.pk}", title, 2))
            context = {
                **common,
                "question": question,
                "answers": answers,
                "first": index == 0 and number == 1,
                "question_first": number == 1,
            }
            yield Part("exports/_pack_answers.html", context, heading, marks)

    heading = _("Appendix: attachments")
    for number, entries in enumerate(_chunks(named_attachments(source), budget=ROWS_PER_PART), start=1):
        context = {**common, "entries": entries, "first": number == 1}
        yield Part("exports/_pack_appendix.html", context, heading, [("appendix", heading, 1)] if number == 1 else [])


def _front_parts(source: PackSource, contents: list[tuple[int, str, int]]) -> Iterator[Part]:
    cover = {
        "issuer": source.consultation.issuer,
        "deadline": source.deadline_text(),
        "generated_at": source.generated_at,
        "time_zone": str(source.zone),
        "filters": source.describe_filters(),
        "counts": source.counts(),
        "is_front": True,
    }
    yield Part("exports/_pack_cover.html", cover, "")
    heading = _("Contents")
    for number, entries in enumerate(_chunks(contents, budget=CONTENTS_ROWS_PER_PART), start=1):
        yield Part("exports/_pack_contents.html", {"entries": entries, "first": number == 1}, heading)


def _contents_pages(entries: int) -> int:
    """The pages the contents will probably take: each of its parts starts a page."""
    full, rest = divmod(entries, CONTENTS_ROWS_PER_PART)
    return full * math.ceil(CONTENTS_ROWS_PER_PART / CONTENTS_ROWS_PER_PAGE) + math.ceil(rest / CONTENTS_ROWS_PER_PAGE)


def _html(source: PackSource, part: Part) -> str:
    context = {"consultation": source.consultation, "part_template": part.template}
    context.update(part.context)
    # Dates in the pack read in the requester's zone, which the cover names.
    with timezone.override(source.zone):
        return render_to_string("exports/pack.html", context)


def write_pdf(source: PackSource, path: Path, *, include_attachments: bool) -> None:
    workdir = path.parent / f"{path.stem}-parts"
    workdir.mkdir(exist_ok=True)
    progress = source.progress
    with LayoutPool(_processes()) as pool:
        # 1. Lay out each body part once and write it, noting where each response and question starts.
        parts: list[Part] = []
        laid_out: dict[int, LaidOut] = {}

        def done(result: LaidOut) -> None:
            laid_out[result.key] = result
            progress.advance(parts[result.key].responses)
            progress.checkpoint()

        for number, part in enumerate(_body_parts(source, include_attachments=include_attachments)):
            parts.append(part)
            html = _html(source, part)
            # The part's context (a batch of responses) is not needed any more: only its marks are.
            part.context = {}
            for result in pool.submit(number, html, workdir / f"part-{number:05d}.html", _body_path(workdir, number)):
                done(result)
        for result in pool.drain():
            done(result)

        body_paths: list[Path] = []
        starts: dict[str, int] = {}  # anchor -> page index within the body
        outline: list[tuple[str, str, int]] = []
        body_pages = 0
        for number, part in enumerate(parts):
            result = laid_out[number]
            for anchor, title, level in part.marks:
                starts[anchor] = body_pages + result.anchors.get(anchor, 0)
                outline.append((anchor, title, level))
            body_paths.append(_body_path(workdir, number))
            body_pages += result.pages

        # 2. The front matter, until its page count is stable: the contents' numbers start after it. The
        # first guess is usually right (a line an entry), so it is usually laid out once.
        front_pages = 1 + _contents_pages(len(outline))
        for _attempt in range(4):
            contents = [(level, title, front_pages + starts[anchor] + 1) for anchor, title, level in outline]
            front_paths, front_sections, results = [], [], []
            for number, part in enumerate(_front_parts(source, contents)):
                front_paths.append(workdir / f"front-{number:05d}.pdf")
                front_sections.append(part.section)
                results += pool.submit(
                    number, _html(source, part), workdir / f"front-{number:05d}.html", front_paths[-1]
                )
            results += pool.drain()
            laid_out_pages = sum(result.pages for result in results)
            if laid_out_pages == front_pages:
                break
            front_pages = laid_out_pages
    progress.checkpoint()

    # 3. Join the parts, add the bookmarks and number the pages.
    part_paths = front_paths + body_paths
    sections = front_sections + [part.section for part in parts]
    _join(part_paths, sections, path, source, outline, starts, front_pages, total=laid_out_pages + body_pages)
    for part_path in part_paths:
        part_path.unlink()
    workdir.rmdir()
    progress.advance()


def _body_path(workdir: Path, number: int) -> Path:
    return workdir / f"part-{number:05d}.pdf"


def _processes() -> int:
    """Parts laid out at once: a process each, on as many cores as there are, up to the setting."""
    return max(1, min(settings.EXPORT_PDF_PROCESSES, os.cpu_count() or 1))


def _join(
    part_paths: list[Path],
    sections: list[str],
    path: Path,
    source: PackSource,
    outline: list[tuple[str, str, int]],
    starts: dict[str, int],
    front_pages: int,
    *,
    total: int,
) -> None:
    bookmarks = [Bookmark(source.consultation.title, 0), Bookmark(_("Contents"), 1 if front_pages > 1 else 0)]
    for anchor, title, level in outline:
        bookmark = Bookmark(title, front_pages + starts[anchor])
        if level == 1 or len(bookmarks) < 3:
            bookmarks.append(bookmark)
        else:
            bookmarks[-1].children.append(bookmark)
    join_parts(
        part_paths,
        sections,
        path,
        total=total,
        title=source.consultation.title,
        footer=_("Page {page} of {pages}"),
        bookmarks=bookmarks,
    )
