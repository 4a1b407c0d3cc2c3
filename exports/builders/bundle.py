"""Build a pack in a work directory: one format alone, or the ZIP of everything with its manifest."""

import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from exports.builders.attachments import copy_attachments, zip_entry
from exports.builders.pack_docx import write_docx
from exports.builders.pack_pdf import write_pdf
from exports.builders.responses_csv import write_csv
from exports.builders.responses_xlsx import write_xlsx
from exports.models import ExportFormat, ExportStage
from exports.pack import PackCounts, PackSource

FILE_NAMES = {
    ExportFormat.PDF: "pack.pdf",
    ExportFormat.DOCX: "pack.docx",
    ExportFormat.XLSX: "responses.xlsx",
    ExportFormat.CSV: "responses.csv",
    ExportFormat.ZIP: "pack.zip",
}
STAGES = {
    ExportFormat.PDF: ExportStage.PDF,
    ExportFormat.DOCX: ExportStage.DOCX,
    ExportFormat.XLSX: ExportStage.XLSX,
    ExportFormat.CSV: ExportStage.CSV,
}
# The order of the files in a ZIP pack.
ZIP_PARTS = [ExportFormat.PDF, ExportFormat.DOCX, ExportFormat.XLSX, ExportFormat.CSV]
READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BuiltPack:
    path: Path
    sha256: str
    size: int
    counts: PackCounts


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _write_part(source: PackSource, fmt: ExportFormat, path: Path, *, include_attachments: bool) -> None:
    writers: dict[ExportFormat, Callable[[], None]] = {
        ExportFormat.PDF: lambda: write_pdf(source, path, include_attachments=include_attachments),
        ExportFormat.DOCX: lambda: write_docx(source, path, include_attachments=include_attachments),
        ExportFormat.XLSX: lambda: write_xlsx(source, path),
        ExportFormat.CSV: lambda: write_csv(source, path),
    }
    source.progress.stage(STAGES[fmt])
    writers[fmt]()


def work_units(fmt: ExportFormat, counts: PackCounts, *, include_attachments: bool) -> int:
    """Items of progress: a step per response and file, one to finish each."""

    per_file = counts.responses + 1
    if fmt != ExportFormat.ZIP:
        return per_file
    attachments = counts.attachments if include_attachments else 0
    return per_file * len(ZIP_PARTS) + attachments + 1


def build_pack(source: PackSource, *, fmt: ExportFormat, include_attachments: bool, workdir: Path) -> BuiltPack:
    """Write the pack under `workdir` and return where it is; nothing outside `workdir` is touched."""
    fmt = ExportFormat(fmt)
    counts = source.counts()
    source.progress.start(total=work_units(fmt, counts, include_attachments=include_attachments))
    path = workdir / FILE_NAMES[fmt]
    if fmt == ExportFormat.ZIP:
        _write_zip(source, path, workdir=workdir, include_attachments=include_attachments)
    else:
        _write_part(source, fmt, path, include_attachments=False)
    sha256, size = file_digest(path)
    return BuiltPack(path=path, sha256=sha256, size=size, counts=counts)


def _write_zip(source: PackSource, path: Path, *, workdir: Path, include_attachments: bool) -> None:
    parts = workdir / "parts"
    parts.mkdir(exist_ok=True)
    # Manifest entries go to a file as they come, so thousands of attachments cost no memory.
    entries_path = workdir / "manifest-entries.jsonl"
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
        entries_path.open("w", encoding="utf-8") as entries,
    ):

        def record(name: str, size: int, sha256: str) -> None:
            entries.write(json.dumps({"path": name, "bytes": size, "sha256": sha256}, ensure_ascii=False) + "\n")

        # The originals first: a file missing from storage fails the pack before the long PDF layout.
        if include_attachments:
            source.progress.stage(ExportStage.ATTACHMENTS)
            for name, size, sha256 in copy_attachments(source, archive):
                record(name, size, sha256)
        for fmt in ZIP_PARTS:
            part = parts / FILE_NAMES[fmt]
            _write_part(source, fmt, part, include_attachments=include_attachments)
            sha256, size = file_digest(part)
            archive.write(part, FILE_NAMES[fmt])
            record(FILE_NAMES[fmt], size, sha256)
            part.unlink()
        source.progress.stage(ExportStage.BUNDLE)
        entries.close()
        with archive.open(zip_entry("manifest.json", source.generated_at), "w") as manifest:
            _write_manifest(manifest, source, entries_path, include_attachments=include_attachments)
        source.progress.advance()


def manifest_head(source: PackSource, *, include_attachments: bool) -> dict:
    consultation = source.consultation
    return {
        "generator": "Consultrack",
        "version": settings.VERSION,
        "generated_at": source.generated_at.isoformat(timespec="seconds"),
        "consultation": {
            "slug": consultation.slug,
            "title": consultation.title,
            "reference": consultation.reference,
            "issuer": consultation.issuer.name,
            "deadline": consultation.deadline_in_issuer_zone.isoformat(),
        },
        "include_attachments": include_attachments,
        "filters": source.filters,
        "filters_described": [{"label": label, "value": value} for label, value in source.describe_filters()],
        "counts": source.counts().as_dict(),
    }


def _write_manifest(target, source: PackSource, entries_path: Path, *, include_attachments: bool) -> None:
    """manifest.json: the pack's description, then every other file of the ZIP with bytes and sha256."""
    head = json.dumps(manifest_head(source, include_attachments=include_attachments), indent=2, ensure_ascii=False)
    target.write((head[:-1].rstrip() + ',\n  "files": [').encode())
    with entries_path.open(encoding="utf-8") as entries:
        for index, line in enumerate(entries):
            target.write(((",\n    " if index else "\n    ") + line.rstrip("\n")).encode())
    target.write(b"\n  ]\n}\n")
