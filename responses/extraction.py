"""Text out of a submission's file: pypdf for PDF, python-docx for DOCX, odfpy for ODT, and a
small ladder of encodings for plain text.

Pure functions over bytes, so they are tested on real files without a database; the Celery task
(responses.tasks) reads the stored file and records the result.
"""

import io
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from responses.models import ExtractionStatus
from responses.uploads import DOCX, ODT, PDF, TXT


class ExtractionError(Exception):
    """The file was read but its text could not be taken out; the message says why, for people."""


@dataclass(frozen=True)
class ExtractionResult:
    status: ExtractionStatus
    text: str = ""
    error: str = ""


def extract_text(data: bytes, content_type: str) -> ExtractionResult:
    """Extract the text of a file of one of the accepted types; never raises for a bad file."""
    extractor = _EXTRACTORS.get(content_type)
    if extractor is None:
        return ExtractionResult(
            ExtractionStatus.FAILED, error=_("Files of type %(type)s are not read.") % {"type": content_type}
        )
    try:
        text = _tidy(extractor(data))
    except ExtractionError as exc:
        return ExtractionResult(ExtractionStatus.FAILED, error=str(exc))
    except Exception as exc:
        # A malformed file can raise anything inside the parsers; it is the file's fault, not a crash.
        return ExtractionResult(
            ExtractionStatus.FAILED,
            error=_("The file could not be read (%(detail)s).") % {"detail": f"{exc.__class__.__name__}: {exc}"},
        )
    if content_type == PDF and not text.strip():
        return ExtractionResult(
            ExtractionStatus.NO_TEXT_LAYER,
            error=_("Scanned PDF without a text layer: its pages hold images, not text. Run it through OCR."),
        )
    return ExtractionResult(ExtractionStatus.DONE, text=text)


def _pdf_text(data: bytes) -> str:
    """Parse in a child process capped at PDF_PARSE_MAX_MEMORY_MB and PDF_PARSE_TIMEOUT_SECONDS."""
    import json
    import resource
    import subprocess
    import sys

    from django.conf import settings

    memory = settings.PDF_PARSE_MAX_MEMORY_MB * 1024 * 1024

    def limit_memory() -> None:  # runs in the child, before it starts Python
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    try:
        result = subprocess.run(
            [sys.executable, "-m", "responses.pdf_text_child"],
            input=data,
            capture_output=True,
            timeout=settings.PDF_PARSE_TIMEOUT_SECONDS,
            preexec_fn=limit_memory,
            cwd=settings.BASE_DIR,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtractionError(
            _("Reading the PDF took longer than %(seconds)d seconds and was stopped.")
            % {"seconds": settings.PDF_PARSE_TIMEOUT_SECONDS}
        ) from exc
    if result.returncode != 0:
        error = result.stderr.decode("utf-8", "replace")
        if "MemoryError" in error or result.returncode < 0:
            raise ExtractionError(
                _("Reading the PDF needed more than %(mb)d MB of memory and was stopped.")
                % {"mb": settings.PDF_PARSE_MAX_MEMORY_MB}
            )
        last = error.strip().splitlines()[-1] if error.strip() else f"exit {result.returncode}"
        raise ExtractionError(_("The file could not be read (%(detail)s).") % {"detail": last})
    answer = json.loads(result.stdout)
    if answer.get("error") == "encrypted":
        raise ExtractionError(_("The PDF is protected by a password."))
    return "\n\n".join(page.strip() for page in answer["pages"])


def _refuse_unsafe_package(data: bytes) -> None:
    """The upload checks ran when the file came in; run them again before any parser sees the package."""
    import zipfile

    from responses.uploads import package_problem

    with zipfile.ZipFile(io.BytesIO(data)) as package:
        if problem := package_problem(package):
            raise ExtractionError(_("The document was not read: %(problem)s") % {"problem": problem})


def _docx_text(data: bytes) -> str:
    import docx

    _refuse_unsafe_package(data)
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    blocks: list[str] = []
    # In document order, so a table stays between the paragraphs that introduce and follow it.
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            blocks.extend(_docx_table_rows(block))
        else:
            blocks.append(block.text)
    return "\n".join(blocks)


def _docx_table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            # A merged cell is repeated for each grid column it spans; keep it once.
            if not cells or cell.text != cells[-1]:
                cells.append(cell.text)
        rows.append("\t".join(cells))
    return rows


def _odt_text(data: bytes) -> str:
    from odf import teletype
    from odf.namespaces import TABLENS, TEXTNS
    from odf.opendocument import load

    _refuse_unsafe_package(data)
    document = load(io.BytesIO(data))
    lines: list[str] = []

    def walk(node) -> None:
        for child in node.childNodes:
            qname = getattr(child, "qname", None)
            if qname in {(TEXTNS, "p"), (TEXTNS, "h")}:
                lines.append(teletype.extractText(child))
            elif qname == (TABLENS, "table-row"):
                cells = [
                    " ".join(teletype.extractText(p) for p in cell.childNodes if getattr(p, "qname", None))
                    for cell in child.childNodes
                    if getattr(cell, "qname", None) == (TABLENS, "table-cell")
                ]
                lines.append("\t".join(cells))
            elif qname is not None:
                walk(child)

    walk(document.text)
    return "\n".join(lines)


# Characters no text file holds: NUL, the C0 controls bar tab, newline, form feed and return, and
# the C1 controls that Latin-1 makes of bytes a real Latin-1 text never uses.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _txt_text(data: bytes) -> str:
    # A UTF-16 byte-order mark settles it. Otherwise UTF-8 first (with or without a mark); then the
    # two encodings that old Windows and European mail clients write, which decode almost any byte
    # and so come last.
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    candidates = ["utf-16"] if utf16 else ["utf-8-sig", "cp1252", "latin-1"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _CONTROL.search(text):
            return text
    raise ExtractionError(
        _("The text file is in an encoding that could not be recognised (tried UTF-8, UTF-16, Windows-1252, Latin-1).")
    )


def _tidy(text: str) -> str:
    """One newline style, no trailing spaces, no runs of blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_EXTRACTORS = {PDF: _pdf_text, DOCX: _docx_text, ODT: _odt_text, TXT: _txt_text}
