"""Checking an uploaded submission by what its bytes are, never by its name or the browser's word.

A file is accepted when libmagic recognises a PDF, DOCX, ODT or plain-text file from its bytes and
the file also holds together as one: the PDF opens with pypdf, the DOCX and ODT are zip packages
with the parts a word processor needs. Each refusal names the file, so a form can say which of
several files was wrong.
"""

import hashlib
import zipfile
from dataclasses import dataclass
from typing import IO

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
TXT = "text/plain"
ACCEPTED_TYPES = (PDF, DOCX, ODT, TXT)

# What libmagic may call a zip package before we look inside it.
_ZIP_TYPES = {"application/zip", "application/x-zip-compressed", DOCX, ODT}
# libmagic guesses a language for some plain text ("text/x-c"); any of those is still text to us.
_MARKUP_TYPES = {"text/html", "text/xml", "text/rtf", "text/x-tex"}
# How much of the head of a file libmagic reads; enough to see the first entries of a zip package.
_SNIFF_BYTES = 64 * 1024
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class CheckedUpload:
    """An uploaded file that passed the checks, with what we learned reading it."""

    file: IO[bytes]
    name: str
    content_type: str
    size: int
    sha256: str


def check_upload(upload, *, max_bytes: int | None = None) -> CheckedUpload:
    """Return the upload with its type, size and checksum, or raise ValidationError naming it."""
    name = getattr(upload, "name", "") or _("the file")
    max_bytes = settings.ATTACHMENT_MAX_BYTES if max_bytes is None else max_bytes
    size = upload.size
    if not size:
        raise ValidationError(_("“%(name)s” is empty."), code="empty", params={"name": name})
    if size > max_bytes:
        raise ValidationError(
            _("“%(name)s” is %(size)s; files may be at most %(max)s."),
            code="too_large",
            params={"name": name, "size": filesizeformat(size), "max": filesizeformat(max_bytes)},
        )

    digest = hashlib.sha256()
    upload.seek(0)
    head = b""
    for chunk in upload.chunks(_CHUNK):
        if len(head) < _SNIFF_BYTES:
            head += chunk[: _SNIFF_BYTES - len(head)]
        digest.update(chunk)
    upload.seek(0)

    sniffed = magic.from_buffer(head, mime=True)
    content_type = _content_type_of(upload, sniffed)
    if content_type is None:
        raise ValidationError(
            _("“%(name)s” is not a PDF, DOCX, ODT or text file (its content is %(found)s)."),
            code="wrong_type",
            params={"name": name, "found": magic.from_buffer(head) or sniffed},
        )
    problem = _structural_problem(upload, content_type)
    upload.seek(0)
    if problem:
        raise ValidationError(
            _("“%(name)s” looks like a %(kind)s but cannot be opened: %(problem)s"),
            code="corrupt",
            params={"name": name, "kind": KIND_LABELS[content_type], "problem": problem},
        )
    return CheckedUpload(file=upload, name=name, content_type=content_type, size=size, sha256=digest.hexdigest())


KIND_LABELS = {PDF: "PDF", DOCX: "DOCX", ODT: "ODT", TXT: "text file"}


def _content_type_of(upload, sniffed: str) -> str | None:
    if sniffed == PDF:
        return PDF
    if sniffed in _ZIP_TYPES:
        # Which package it is depends on its parts; the structural check then confirms it.
        names = _zip_names(upload)
        if "word/document.xml" in names:
            return DOCX
        if "content.xml" in names and _odf_mimetype(upload) == ODT:
            return ODT
        if sniffed in {DOCX, ODT}:
            return sniffed
        return None
    if sniffed == TXT or (sniffed.startswith("text/x-") and sniffed not in _MARKUP_TYPES):
        return TXT
    return None


def _zip_names(upload) -> set[str]:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as package:
            return set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return set()
    finally:
        upload.seek(0)


def _odf_mimetype(upload) -> str:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as package:
            return package.read("mimetype").decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return ""
    finally:
        upload.seek(0)


def _structural_problem(upload, content_type: str) -> str:
    """Why a file of this type does not hold together, or "" when it does."""
    upload.seek(0)
    if content_type == PDF:
        try:
            reader = PdfReader(upload)
            if not reader.is_encrypted:
                # Reading the page tree finds truncated and mangled files that the header hides.
                len(reader.pages)
        except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError) as exc:
            return _("the PDF structure is damaged (%(detail)s).") % {"detail": exc or exc.__class__.__name__}
        return ""
    if content_type in {DOCX, ODT}:
        try:
            with zipfile.ZipFile(upload) as package:
                names = set(package.namelist())
                required = {"[Content_Types].xml", "word/document.xml"} if content_type == DOCX else {"content.xml"}
                missing = sorted(required - names)
                if missing:
                    return _("the document lacks the part %(part)s.") % {"part": missing[0]}
                broken = package.testzip()
                if broken:
                    return _("the part %(part)s is damaged.") % {"part": broken}
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            return _("the package is damaged (%(detail)s).") % {"detail": exc}
        return ""
    return ""
