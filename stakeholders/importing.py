"""Importing rows from an uploaded CSV or XLSX file: the machinery every importer shares.

Three parts, used by stakeholders.importers and responses.importers:

1. Reading: `read_table` turns an upload into headings and rows, or raises ImportFileError
   with one sentence a user can act on (not UTF-8, damaged workbook, empty, too many rows).
2. Describing and validating: an Importer lists its target Fields; it guesses which column of
   the file holds which field, and validates every row into cleaned values or reasons, each
   reason naming the row as the user sees it in the file (the heading is row 1) and the column.
3. The flow in the browser, as class-based views each importer subclasses thinly: upload (with
   a template to download) -> preview (column mapping, every bad row, the first good rows) ->
   confirm (all rows, or explicitly only the good ones, in one transaction).

The uploaded file waits between steps in default_storage under imports/<token>/; the token is
kept in the uploader's session, so nobody else can reach it, and the file is deleted once used.
"""

import csv
import datetime
import io
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePath
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from accounts.access import role_required
from accounts.roles import Role

MAX_ROWS = 10_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# How many uploads one session may keep waiting; older ones are deleted when a new one arrives.
MAX_PENDING_UPLOADS = 5
PREVIEW_ROWS = 10
SESSION_KEY = "imports"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | bool | datetime.datetime | datetime.date | datetime.time | None


class ImportFileError(Exception):
    """The file cannot be read as a table; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------------------------
# Reading a file
# --------------------------------------------------------------------------------------------


@dataclass
class Table:
    """The headings of a file and its data rows, each with its row number as the user sees it."""

    headers: list[str]
    rows: list[tuple[int, list[Cell]]]

    @cached_property
    def column_labels(self) -> list[str]:
        """How to name each column to a person: its heading, or its letter when it has none."""
        return [
            header or _("Column %(letter)s") % {"letter": get_column_letter(i + 1)}
            for i, header in enumerate(self.headers)
        ]


def is_blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Cell) -> str:
    """A cell as the text a person would read in it (Excel's 12345.0 is 12345)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


def read_table(data: bytes, filename: str, *, max_rows: int = MAX_ROWS) -> Table:
    """Read an uploaded CSV or XLSX file into headings and rows.

    The first non-blank row holds the headings; blank rows are skipped but still counted, so
    row numbers match what a spreadsheet shows. Raises ImportFileError with a message for people.
    """
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".xls" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("Old Excel files (.xls) cannot be read: save the file as XLSX or as CSV UTF-8."))
    is_workbook = suffix == ".xlsx" or data.startswith(b"PK\x03\x04")
    records = _xlsx_records(data) if is_workbook else _csv_records(data)
    return _table_from_records(records, max_rows=max_rows)


def _csv_records(data: bytes) -> Iterator[list[Cell]]:
    not_utf8 = _("The file is not UTF-8 text: save it as CSV UTF-8 or as XLSX.")
    try:
        # utf-8-sig drops the byte-order mark Excel writes at the start of "CSV UTF-8".
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(not_utf8) from None
    if "\x00" in text:
        # UTF-16 text without a byte-order mark can decode as UTF-8, full of NUL characters; a few NULs
        # in UTF-8 text are stray bytes in some cells, which no text field can store.
        if text.count("\x00") * 10 > len(text):
            raise ImportFileError(not_utf8)
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportFileError(
            _("Line %(line)d of the file holds a null character, which cannot be imported: remove it and upload again.")
            % {"line": line}
        )
    delimiter = _sniff_delimiter(text)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    except csv.Error as exc:
        raise ImportFileError(
            _("The file is not a CSV file that can be read (%(reason)s).") % {"reason": exc}
        ) from None


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon (Excel in much of Europe) or tab: the one that splits the headings most."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    best, best_count = ",", 1
    for candidate in (",", ";", "\t"):
        count = len(next(csv.reader([first_line], delimiter=candidate), []))
        if count > best_count:
            best, best_count = candidate, count
    return best


def _xlsx_records(data: bytes) -> Iterator[list[Cell]]:
    # openpyxl fails on damaged files in many ways (bad zip, XML syntax, missing parts, odd
    # values); whichever it is, the user's answer is the same, so every failure is caught.
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ImportFileError(
            _(
                "The file is not an XLSX workbook that can be read: it may be damaged. "
                "Open it in Excel and save it again, or save it as CSV UTF-8."
            )
        ) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        # Some tools write wrong sheet dimensions; read every row that is there instead.
        sheet.reset_dimensions()
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    except Exception:
        raise ImportFileError(
            _("The workbook is damaged and cannot be read to the end: save it again, or save it as CSV UTF-8.")
        ) from None
    finally:
        workbook.close()


def _table_from_records(records: Iterable[list[Cell]], *, max_rows: int) -> Table:
    headers: list[str] | None = None
    rows: list[tuple[int, list[Cell]]] = []
    for number, record in enumerate(records, start=1):
        cells = [value.strip() if isinstance(value, str) else value for value in record]
        if all(is_blank(value) for value in cells):
            continue
        if headers is None:
            headers = [cell_text(value) for value in cells]
            continue
        if len(rows) >= max_rows:
            raise ImportFileError(
                _("The file has more than %(limit)s rows of data: split it into smaller files.")
                % {"limit": number_format(max_rows, force_grouping=True)}
            )
        rows.append((number, cells))
    if headers is None:
        raise ImportFileError(_("The file is empty."))
    if not rows:
        raise ImportFileError(_("The file has column headings but no rows of data."))
    # Drop trailing columns that have neither a heading nor a value anywhere.
    width = max([len(headers)] + [len(cells) for _number, cells in rows])
    while width and (width > len(headers) or not headers[width - 1]):
        if any(len(cells) >= width and not is_blank(cells[width - 1]) for _number, cells in rows):
            break
        width -= 1
    headers = (headers + [""] * width)[:width]
    return Table(headers=headers, rows=[(number, (cells + [None] * width)[:width]) for number, cells in rows])


# --------------------------------------------------------------------------------------------
# Parsing cells: small factories that return a parse function raising ValidationError
# --------------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Compare headings and choices ignoring case, accents, spaces, underscores and punctuation."""
    decomposed = unicodedata.normalize("NFKD", str(text)).casefold()
    return "".join(char for char in decomposed if char.isalnum())


def parse_text(*, max_length: int | None = None) -> Callable[[Cell], str]:
    def parse(value: Cell) -> str:
        text = cell_text(value)
        if max_length is not None and len(text) > max_length:
            raise ValidationError(
                _("Too long: at most %(limit)d characters, this has %(count)d.")
                % {"limit": max_length, "count": len(text)}
            )
        return text

    return parse


def parse_choice(choices: Any, *, synonyms: dict[str, str] | None = None) -> Callable[[Cell], str]:
    """Accept a choice's stored value or its label (in English or the user's language), any case."""
    by_language: dict[str, dict[str, str]] = {}

    def accepted() -> dict[str, str]:
        language = translation.get_language() or "en"
        if language not in by_language:
            keys = {normalise(key): value for key, value in (synonyms or {}).items()}
            for value, label in choices.choices:
                keys[normalise(value)] = value
                keys[normalise(str(label))] = value
                with translation.override("en"):
                    keys[normalise(str(label))] = value
            by_language[language] = keys
        return by_language[language]

    def parse(value: Cell) -> str:
        text = cell_text(value)
        try:
            return accepted()[normalise(text)]
        except KeyError:
            allowed = ", ".join(str(label) for _value, label in choices.choices)
            raise ValidationError(
                _("“%(value)s” is not one of: %(allowed)s.") % {"value": text, "allowed": allowed}
            ) from None

    return parse


TRUE_WORDS = {"yes", "y", "true", "1", "x", "oui"}
FALSE_WORDS = {"no", "n", "false", "0", "non"}


def parse_boolean(value: Cell) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value).casefold()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValidationError(
        _("“%(value)s” is not yes or no (use yes/no, true/false or 1/0).") % {"value": cell_text(value)}
    )


def parse_email(value: Cell) -> str:
    text = cell_text(value)
    try:
        EmailValidator()(text)
    except ValidationError:
        raise ValidationError(_("“%(value)s” is not a valid e-mail address.") % {"value": text}) from None
    if len(text) > 254:
        raise ValidationError(_("The e-mail address is too long."))
    return text


def parse_url(value: Cell) -> str:
    text = cell_text(value)
    # People type www.example.org; the address is the same with its scheme.
    candidate = text if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE) else f"https://{text}"
    try:
        URLValidator()(candidate)
    except ValidationError:
        raise ValidationError(_("“%(value)s” is not a web address.") % {"value": text}) from None
    if len(candidate) > 200:
        raise ValidationError(_("The web address is too long (at most 200 characters)."))
    return candidate


def parse_date(value: Cell) -> datetime.date:
    """An Excel date cell, yyyy-mm-dd (optionally with a time), or dd/mm/yyyy."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        # A number in an XLSX date column is a date serial whose cell lost its date format.
        return from_excel(value).date()
    text = cell_text(value)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T][\d:.]+)?", text)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", text)
        if not match:
            raise ValidationError(
                _("“%(value)s” is not a date: write it as yyyy-mm-dd or dd/mm/yyyy.") % {"value": text}
            )
        day, month, year = (int(part) for part in match.groups())
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValidationError(_("“%(value)s” is not a real date.") % {"value": text}) from None


def display_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------------------------
# Fields, importers and validation results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One thing an importer reads from a column."""

    name: str
    label: str | Promise
    required: bool = False
    help_text: str | Promise = ""
    synonyms: tuple[str, ...] = ()
    parse: Callable[[Cell], Any] = field(default=parse_text())
    display: Callable[[Any], str] = display_value
    example: str = ""
    # For headings that carry more than the name, such as "Q3 - Which capacities…".
    header_pattern: re.Pattern | None = None

    def header_keys(self) -> set[str]:
        keys = {normalise(self.name), normalise(str(self.label))}
        with translation.override("en"):
            keys.add(normalise(str(self.label)))
        keys.update(normalise(synonym) for synonym in self.synonyms)
        keys.discard("")
        return keys

    def matches(self, header: str) -> bool:
        if normalise(header) in self.header_keys():
            return True
        return bool(self.header_pattern and self.header_pattern.match(header))


@dataclass(frozen=True)
class RowError:
    column: str
    message: str
    field_name: str | None = None

    def __str__(self) -> str:
        return f"{self.column}: {self.message}" if self.column else self.message


@dataclass
class RowResult:
    """One data row: its number in the file, its cleaned values, and what is wrong with it."""

    number: int
    values: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)
    # A word for the preview, such as "new" or "existing".
    note: str = ""
    # The text of the row's first mapped cell (its name, usually), to recognise it by.
    label: str = ""
    # Set by the Importer running validation, to name columns in errors.
    column_names: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, field_name: str | None, message: str) -> None:
        column = self.column_names.get(field_name, "") if field_name else ""
        self.errors.append(RowError(column=column, message=message, field_name=field_name))

    def has_error(self, *field_names: str) -> bool:
        return any(error.field_name in field_names for error in self.errors)


@dataclass
class Validation:
    rows: list[RowResult]

    @cached_property
    def good_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.ok]

    @cached_property
    def bad_rows(self) -> list[RowResult]:
        return [row for row in self.rows if not row.ok]


Mapping = dict[str, int | None]


class Importer:
    """Describe the Fields of a kind of row; validate rows; save the good ones.

    Subclasses set `fields` (or override get_fields), `noun_plural` and `template_filename`,
    may check a whole row in clean_row (which runs once per row, in file order, so it may
    remember earlier rows), and write rows in save(), which runs inside a transaction.
    """

    fields: ClassVar[list[Field]] = []
    noun_plural: ClassVar[str | Promise] = gettext_lazy("rows")
    template_filename: ClassVar[str] = "import-template"

    def get_fields(self) -> list[Field]:
        return list(self.fields)

    @cached_property
    def all_fields(self) -> list[Field]:
        return self.get_fields()

    def get_field(self, name: str) -> Field:
        return next(target for target in self.all_fields if target.name == name)

    # Mapping ------------------------------------------------------------------------------

    def guess_mapping(self, headers: list[str]) -> Mapping:
        """For each field, the first column whose heading matches it; a column serves one field."""
        mapping: Mapping = {}
        used: set[int] = set()
        for target in self.all_fields:
            mapping[target.name] = None
            for index, header in enumerate(headers):
                if index not in used and header and target.matches(header):
                    mapping[target.name] = index
                    used.add(index)
                    break
        return mapping

    def mapping_errors(self, mapping: Mapping, table: Table) -> dict[str, str]:
        """Problems with a mapping, by field name: a required column missing, a column used twice."""
        errors: dict[str, str] = {}
        chosen: dict[int, Field] = {}
        for target in self.all_fields:
            index = mapping.get(target.name)
            if index is None:
                if target.required:
                    errors[target.name] = _(
                        "The required column “%(label)s” is missing: choose the column that holds it."
                    ) % {"label": target.label}
                continue
            if index in chosen:
                errors[target.name] = _("Column “%(column)s” is already chosen for “%(other)s”.") % {
                    "column": table.column_labels[index],
                    "other": chosen[index].label,
                }
            else:
                chosen[index] = target
        return errors

    def unmapped_columns(self, mapping: Mapping, table: Table) -> list[str]:
        used = {index for index in mapping.values() if index is not None}
        return [label for index, label in enumerate(table.column_labels) if index not in used]

    # Validation ---------------------------------------------------------------------------

    def validate(self, table: Table, mapping: Mapping) -> Validation:
        """Every row parsed and checked; call only with a mapping that has no mapping_errors."""
        self.prepare()
        column_names = {
            target.name: (
                table.column_labels[mapping[target.name]] if mapping.get(target.name) is not None else str(target.label)
            )
            for target in self.all_fields
        }
        results = []
        field_order = {target.name: position for position, target in enumerate(self.all_fields)}
        # The first mapped column (the name, usually) labels each row in the list of problems.
        first_index = next((mapping[t.name] for t in self.all_fields if mapping.get(t.name) is not None), None)
        for number, cells in table.rows:
            row = RowResult(number=number, values={}, column_names=column_names)
            if first_index is not None:
                row.label = cell_text(cells[first_index])
            for target in self.all_fields:
                index = mapping.get(target.name)
                value = cells[index] if index is not None and index < len(cells) else None
                if is_blank(value):
                    if target.required:
                        row.add_error(target.name, _("This is required but the cell is empty."))
                    row.values[target.name] = None
                    continue
                try:
                    row.values[target.name] = target.parse(value)
                except ValidationError as exc:
                    row.values[target.name] = None
                    for message in exc.messages:
                        row.add_error(target.name, message)
            # Runs on bad rows too, so each bad row lists all its problems at once.
            self.clean_row(row)
            # In the order of the fields, as a person reads the row from left to right.
            row.errors.sort(key=lambda error: field_order.get(error.field_name, len(field_order)))
            results.append(row)
        return Validation(rows=results)

    def prepare(self) -> None:
        """Load what validation looks rows up in (once, so validation does not query per row)."""

    def clean_row(self, row: RowResult) -> None:
        """Check a row as a whole; add errors with row.add_error, set row.note.

        Runs on every row, in file order; a value whose cell could not be read is None. What it
        remembers for later rows (names seen, say) it should remember only from rows that are ok.
        """

    def save(self, rows: list[RowResult]) -> str:
        """Write the rows (inside a transaction) and return a sentence saying what was written."""
        raise NotImplementedError

    # Templates ----------------------------------------------------------------------------

    def template_headers(self) -> list[str]:
        return [str(target.label) for target in self.all_fields]

    def template_example(self) -> list[str]:
        return [target.example for target in self.all_fields]


# --------------------------------------------------------------------------------------------
# Template files
# --------------------------------------------------------------------------------------------


def template_csv(importer: Importer) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(importer.template_headers())
    writer.writerow(importer.template_example())
    # With a byte-order mark, Excel opens the file as UTF-8 instead of guessing a legacy code page.
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx(importer: Importer) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(importer.noun_plural).capitalize()[:31]
    sheet.append(importer.template_headers())
    sheet.append(importer.template_example())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, header in enumerate(importer.template_headers(), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(header) + 4))
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet(_("Help")[:31])
    help_sheet.append([_("Column"), _("Required"), _("What to write")])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for target in importer.all_fields:
        help_sheet.append([str(target.label), _("yes") if target.required else _("no"), str(target.help_text)])
    help_sheet.column_dimensions["A"].width = 30
    help_sheet.column_dimensions["C"].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Forms
# --------------------------------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or XLSX file"),
        help_text=gettext_lazy(
            "CSV saved as UTF-8 (comma or semicolon separated), or an Excel XLSX workbook (its first sheet is read)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": f".csv,.xlsx,text/csv,{XLSX_CONTENT_TYPE}"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is too large: at most %(limit)d MB.") % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
                code="too_large",
            )
        data = upload.read()
        try:
            self.table = read_table(data, upload.name)
        except ImportFileError as exc:
            raise ValidationError(exc.message, code="unreadable") from None
        self.data_bytes = data
        return upload


class MappingForm(forms.Form):
    """One select per target field, listing the file's columns; always bound, so problems show."""

    def __init__(self, *args: Any, importer: Importer, table: Table, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.importer = importer
        self.table = table
        choices = [("", _("— not in the file —"))] + [
            (str(index), f"{get_column_letter(index + 1)}: {label}") for index, label in enumerate(table.column_labels)
        ]
        for target in importer.all_fields:
            label = _("%(label)s (required)") % {"label": target.label} if target.required else target.label
            # No help text here: the upload page explains each field, and the preview stays short.
            self.fields[f"map_{target.name}"] = forms.ChoiceField(label=label, choices=choices, required=False)
            self.fields[f"map_{target.name}"].target = target

    @staticmethod
    def data_for(mapping: Mapping) -> dict[str, str]:
        return {f"map_{name}": "" if index is None else str(index) for name, index in mapping.items()}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        self.mapping = {
            target.name: (int(cleaned[f"map_{target.name}"]) if cleaned.get(f"map_{target.name}") else None)
            for target in self.importer.all_fields
        }
        for name, message in self.importer.mapping_errors(self.mapping, self.table).items():
            self.add_error(f"map_{name}", message)
        return cleaned


# --------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------


@method_decorator(role_required(Role.POLICY_STAFF, Role.ADMIN), name="dispatch")
class ImportView(View):
    """Shared by the steps of an import; a subclass per importer says which importer and where.

    Subclasses set `url_name` (the upload page's URL name; the steps add -template, -preview,
    -confirm and -cancel) and implement get_importer; get_url_kwargs names the importer's scope
    (such as a consultation), get_context adds what the page shows about it, get_success_url is
    where to go after an import.
    """

    url_name: ClassVar[str] = ""
    title: ClassVar[str | Promise] = gettext_lazy("Import")

    def get_importer(self) -> Importer:
        raise NotImplementedError

    @cached_property
    def importer(self) -> Importer:
        return self.get_importer()

    def get_url_kwargs(self) -> dict[str, Any]:
        return {}

    def get_context(self) -> dict[str, Any]:
        return {}

    def get_success_url(self) -> str:
        return self.url("")

    def flow_key(self) -> str:
        """Which import an upload belongs to, so a token cannot be replayed on another importer."""
        return ":".join([self.url_name, *(str(value) for value in self.get_url_kwargs().values())])

    def url(self, step: str, **extra: Any) -> str:
        name = f"{self.url_name}-{step}" if step else self.url_name
        return reverse(name, kwargs={**self.get_url_kwargs(), **extra})

    # The uploads this session keeps ---------------------------------------------------------

    def pending(self) -> dict[str, dict[str, Any]]:
        return self.request.session.setdefault(SESSION_KEY, {})

    def entry(self, token: str) -> dict[str, Any]:
        """The upload behind a token, if it belongs to this session and this importer; else 404."""
        entry = self.pending().get(token)
        if not entry or entry.get("flow") != self.flow_key():
            raise Http404("No such upload in this session.")
        return entry

    def store_upload(self, data: bytes, filename: str) -> str:
        token = secrets.token_urlsafe(16)
        safe_name = safe_filename(filename)
        stored = default_storage.save(f"imports/{token}/{safe_name}", ContentFile(data))
        pending = self.pending()
        pending[token] = {
            "flow": self.flow_key(),
            "name": stored,
            "filename": safe_name,
            "mapping": None,
            "uploaded_at": timezone.now().isoformat(),
        }
        for old_token in sorted(pending, key=lambda key: pending[key]["uploaded_at"])[:-MAX_PENDING_UPLOADS]:
            self.discard(old_token)
        self.request.session.modified = True
        return token

    def discard(self, token: str) -> None:
        entry = self.pending().pop(token, None)
        self.request.session.modified = True
        if entry:
            delete_upload(entry["name"])

    def load_table(self, entry: dict[str, Any]) -> Table | None:
        try:
            with default_storage.open(entry["name"], "rb") as handle:
                data = handle.read()
        except (FileNotFoundError, OSError):
            return None
        try:
            return read_table(data, entry["filename"])
        except ImportFileError:
            return None

    def table_or_restart(self, token: str) -> tuple[dict[str, Any], Table] | HttpResponse:
        entry = self.entry(token)
        table = self.load_table(entry)
        if table is None:
            self.discard(token)
            messages.error(self.request, _("The uploaded file is no longer available: upload it again."))
            return HttpResponseRedirect(self.url(""))
        return entry, table

    def render_page(self, template: str, context: dict[str, Any]) -> HttpResponse:
        base = {
            "title": self.title,
            "importer": self.importer,
            "fields": self.importer.all_fields,
            "upload_url": self.url(""),
            "template_csv_url": self.url("template", fmt="csv"),
            "template_xlsx_url": self.url("template", fmt="xlsx"),
            "max_rows": MAX_ROWS,
        }
        return render(self.request, template, {**base, **self.get_context(), **context})


def safe_filename(filename: str) -> str:
    """The uploaded file's name, safe for any storage and not too long (browsers may send a path)."""
    name = PurePath(filename.replace("\\", "/")).name
    stem, suffix = PurePath(name).stem[:80], PurePath(name).suffix[:10]
    try:
        return get_valid_filename(f"{stem}{suffix}")
    except SuspiciousFileOperation:  # nothing usable left, such as ".."
        return f"upload{get_valid_filename(suffix) if suffix.strip('.') else ''}"


def delete_upload(name: str) -> None:
    default_storage.delete(name)
    # On a local disk the token's folder would stay behind, empty.
    try:
        directory = PurePath(default_storage.path(name)).parent
        if directory.name and directory.parent.name == "imports":
            os.rmdir(directory)
    except (NotImplementedError, OSError):
        pass


class UploadView(ImportView):
    """Step 1: choose a file (and download a template)."""

    http_method_names = ["get", "post"]
    template_name = "importing/upload.html"

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_page(self.template_name, {"form": UploadForm()})

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(self.template_name, {"form": form})
        token = self.store_upload(form.data_bytes, form.cleaned_data["file"].name)
        return HttpResponseRedirect(self.url("preview", token=token))


class TemplateDownloadView(ImportView):
    """A file with the headings and one example row, as CSV or XLSX."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
        if fmt == "csv":
            content, content_type = template_csv(self.importer), "text/csv; charset=utf-8"
        elif fmt == "xlsx":
            content, content_type = template_xlsx(self.importer), XLSX_CONTENT_TYPE
        else:
            raise Http404("Templates come as csv or xlsx.")
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{self.importer.template_filename}.{fmt}"'
        return response


class PreviewView(ImportView):
    """Step 2: the column mapping, every bad row with its reasons, and the first good rows."""

    http_method_names = ["get", "post"]
    template_name = "importing/preview.html"

    def get(self, request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
        loaded = self.table_or_restart(token)
        if isinstance(loaded, HttpResponse):
            return loaded
        entry, table = loaded
        mapping = entry["mapping"] or self.importer.guess_mapping(table.headers)
        form = MappingForm(MappingForm.data_for(mapping), importer=self.importer, table=table)
        return self.render_preview(token, entry, table, form)

    def post(self, request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
        """Check again with the columns the user chose."""
        loaded = self.table_or_restart(token)
        if isinstance(loaded, HttpResponse):
            return loaded
        entry, table = loaded
        form = MappingForm(request.POST, importer=self.importer, table=table)
        if not form.is_valid():
            return self.render_preview(token, entry, table, form)
        entry["mapping"] = form.mapping
        request.session.modified = True
        return HttpResponseRedirect(self.url("preview", token=token))

    def render_preview(self, token: str, entry: dict[str, Any], table: Table, form: MappingForm) -> HttpResponse:
        context: dict[str, Any] = {
            "token": token,
            "filename": entry["filename"],
            "table": table,
            "form": form,
            "mapping_ok": form.is_valid(),
            "row_count": len(table.rows),
            "confirm_url": self.url("confirm", token=token),
            "cancel_url": self.url("cancel", token=token),
        }
        if form.is_valid():
            validation = self.importer.validate(table, form.mapping)
            shown = [target for target in self.importer.all_fields if form.mapping.get(target.name) is not None]
            context.update(
                {
                    "validation": validation,
                    "good_count": len(validation.good_rows),
                    "bad_count": len(validation.bad_rows),
                    "unmapped_columns": self.importer.unmapped_columns(form.mapping, table),
                    "preview_fields": shown,
                    "preview_rows": [
                        (row.number, [target.display(row.values.get(target.name)) for target in shown], row.note)
                        for row in validation.good_rows[:PREVIEW_ROWS]
                    ],
                    "bad_rows": validation.bad_rows,
                }
            )
        return self.render_page(self.template_name, context)


class ConfirmView(ImportView):
    """Step 3: write every row, or only the good ones when the user says so, in one transaction."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
        loaded = self.table_or_restart(token)
        if isinstance(loaded, HttpResponse):
            return loaded
        entry, table = loaded
        preview_url = self.url("preview", token=token)
        mapping = entry["mapping"] or self.importer.guess_mapping(table.headers)
        if self.importer.mapping_errors(mapping, table):
            messages.error(request, _("Nothing was imported: choose a column for every required field first."))
            return HttpResponseRedirect(preview_url)
        validation = self.importer.validate(table, mapping)
        good, bad = validation.good_rows, validation.bad_rows
        only_good = request.POST.get("mode") == "good"
        if bad and not only_good:
            messages.error(
                request,
                ngettext(
                    "Nothing was imported: %(count)d row has problems. Fix the file, or import only the good rows.",
                    "Nothing was imported: %(count)d rows have problems. Fix the file, or import only the good rows.",
                    len(bad),
                )
                % {"count": len(bad)},
            )
            return HttpResponseRedirect(preview_url)
        if only_good and request.POST.get("good_count") != str(len(good)):
            # The data changed since the preview (someone added an organisation, say): show it again.
            messages.warning(request, _("Nothing was imported: the rows changed since the preview. Check them again."))
            return HttpResponseRedirect(preview_url)
        if not good:
            messages.error(request, _("Nothing was imported: no row is ready to import."))
            return HttpResponseRedirect(preview_url)
        try:
            with transaction.atomic():
                summary = self.importer.save(good)
        except (IntegrityError, ValidationError) as exc:
            # A row written by someone else since the preview (the same slug, say): nothing is kept.
            messages.error(
                request,
                _("Nothing was imported: the database refused a row (%(reason)s). Check the preview again.")
                % {"reason": "; ".join(exc.messages) if isinstance(exc, ValidationError) else exc},
            )
            return HttpResponseRedirect(preview_url)
        self.discard(token)
        messages.success(request, summary)
        if bad:
            messages.warning(
                request,
                ngettext("Skipped %(count)d row with problems.", "Skipped %(count)d rows with problems.", len(bad))
                % {"count": len(bad)},
            )
        return HttpResponseRedirect(self.get_success_url())


class CancelView(ImportView):
    """Forget an upload and delete its file."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
        self.entry(token)
        self.discard(token)
        messages.info(request, _("The upload was discarded; nothing was imported."))
        return HttpResponseRedirect(self.url(""))
