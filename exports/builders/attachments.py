"""attachments/<organisation-slug>/<original name, made safe>: the submissions' original files."""

import datetime
import hashlib
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.utils.translation import gettext as _

from exports.pack import PackError, PackSource
from responses.models import Attachment

COPY_CHUNK = 1024 * 1024
MAX_NAME_LENGTH = 150
# Characters that Windows, macOS or a shell would trip on, and control characters.
UNSAFE_CHARACTERS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)), *(f"lpt{n}" for n in range(1, 10))}


def zip_entry(path: str, moment: datetime.datetime) -> zipfile.ZipInfo:
    """A ZIP entry written from a stream, dated like the rest of the pack (not 1980) and readable by all."""
    info = zipfile.ZipInfo(path, date_time=moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def safe_filename(name: str) -> str:
    """A file name that unpacks the same on every system; letters of every script are kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = UNSAFE_CHARACTERS.sub("_", name)
    name = " ".join(name.split()).strip(". ")
    if not name:
        return ""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    if stem.lower() in WINDOWS_RESERVED:
        stem = f"_{stem}"
    extension = extension[:16]
    stem = stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip(". ")
    return f"{stem}.{extension}" if extension else stem


class AttachmentNamer:
    """Gives each attachment its path in the pack, numbering clashes ("report (2).pdf").

    Attachments must come grouped by organisation (PackSource.iter_attachments does so), so only
    the names already taken in the current folder are remembered. Clashes ignore case, because
    macOS and Windows do when unpacking.
    """

    def __init__(self) -> None:
        self._folder = ""
        self._taken: set[str] = set()

    def path_for(self, attachment: Attachment) -> str:
        folder = safe_filename(attachment.response.organisation.slug) or "organisation"
        if folder != self._folder:
            self._folder, self._taken = folder, set()
        name = safe_filename(attachment.original_name) or f"attachment-{attachment.pk}"
        stem, dot, extension = name.rpartition(".")
        if not dot or not stem:
            stem, dot, extension = name, "", ""
        candidate, number = name, 2
        while candidate.lower() in self._taken:
            candidate = f"{stem} ({number}){dot}{extension}"
            number += 1
        self._taken.add(candidate.lower())
        return str(PurePosixPath("attachments", folder, candidate))


@dataclass(frozen=True)
class AttachmentEntry:
    attachment: Attachment
    path: str


def named_attachments(source: PackSource, *, count_progress: bool = False) -> Iterator[AttachmentEntry]:
    namer = AttachmentNamer()
    for attachment in source.iter_attachments(count_progress=count_progress):
        yield AttachmentEntry(attachment, namer.path_for(attachment))


def copy_attachments(source: PackSource, archive: zipfile.ZipFile) -> Iterator[tuple[str, int, str]]:
    """Copy each original into the archive as it streams from storage; yield (path, bytes, sha256)."""
    for entry in named_attachments(source, count_progress=True):
        attachment = entry.attachment
        digest, size = hashlib.sha256(), 0
        try:
            source_file = attachment.file.open("rb")
        except (FileNotFoundError, OSError, ValueError):
            raise PackError(
                _("The file of the attachment “%(name)s” (%(organisation)s) is missing from storage.")
                % {"name": attachment.original_name, "organisation": attachment.response.organisation.name}
            ) from None
        with source_file, archive.open(zip_entry(entry.path, source.generated_at), "w", force_zip64=True) as target:
            while chunk := source_file.read(COPY_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        yield entry.path, size, digest.hexdigest()
