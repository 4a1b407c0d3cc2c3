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
EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", ODT: ".odt", TXT: ".txt"}


def storage_name(upload: CheckedUpload) -> str:
    """A name to store the file under that owes nothing to the sender: random, with its type's extension."""
    import uuid

    return f"{uuid.uuid4().hex}{EXTENSIONS[upload.content_type]}"


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
                if problem := package_problem(package):
                    return problem
                broken = package.testzip()
                if broken:
                    return _("the part %(part)s is damaged.") % {"part": broken}
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            return _("the package is damaged (%(detail)s).") % {"detail": exc}
        return ""
    return ""


# Parts of a DOCX or ODT read as XML: checked with defusedxml before any word-processing library sees them.
_XML_SUFFIXES = (".xml", ".rels")
_READ_CHUNK = 64 * 1024


def package_problem(package: zipfile.ZipFile) -> str:
    """Why a DOCX/ODT package must not be unpacked or parsed, or "" when it may.

    Checked from the zip directory first, before decompressing anything: the number of parts, their
    total unpacked size and each part's compression ratio (a zip bomb unpacks a few kilobytes into
    gigabytes). Then each XML part is unpacked, never past the size it declares, and parsed with
    defusedxml, which refuses document type declarations and so every entity trick (billion laughs,
    external entities). Word processors write neither.
    """
    members = package.infolist()
    if len(members) > settings.PACKAGE_MAX_MEMBERS:
        return _("the document holds %(count)d parts, more than a document has.") % {"count": len(members)}
    limit = settings.PACKAGE_MAX_UNPACKED_MB * 1024 * 1024
    if sum(member.file_size for member in members) > limit:
        return _("the document would unpack to more than %(max)s.") % {"max": filesizeformat(limit)}
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > settings.PACKAGE_MAX_RATIO * max(
            member.compress_size, 1
        ):
            return _("the part %(part)s is compressed suspiciously far (a zip bomb?).") % {"part": member.filename}
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    for member in members:
        if not member.filename.endswith(_XML_SUFFIXES):
            continue
        data = _read_capped(package, member)
        if data is None:
            return _("the part %(part)s is larger than it declares.") % {"part": member.filename}
        try:
            fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except DefusedXmlException:
            return _("the part %(part)s declares XML entities, which documents never need.") % {"part": member.filename}
        except ParseError as exc:
            return _("the part %(part)s is not well-formed XML (%(detail)s).") % {
                "part": member.filename,
                "detail": exc,
            }
    return ""


def _read_capped(package: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes | None:
    """The part's bytes, or None if it unpacks to more than its declared size (a lying directory)."""
    out = bytearray()
    with package.open(member) as stream:
        while chunk := stream.read(_READ_CHUNK):
            out += chunk
            if len(out) > member.file_size:
                return None
    return bytes(out)
