"""responses.xlsx: sheets of responses, positions and answers, their rows streamed to files.

openpyxl's write-only mode still makes a cell object and an lxml element for every cell, which cost
most of the time of a 5,000-response workbook (some 400,000 cells). So openpyxl makes each sheet's
frame (column widths, frozen header, auto-filter) and the workbook around it (styles, relationships,
the ZIP), while the rows are written here as XML text, a row at a time, to a file per sheet; when the
workbook is saved each sheet's file is its frame with the rows spliced into its empty
<sheetData> element. Cells use the styles openpyxl registered for them, so the workbook reads the same.
"""

import contextlib
import datetime
from pathlib import Path
from typing import TextIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import ALL_TEMP_FILES, WorksheetWriter

from exports.builders import tables
from exports.builders.xmltext import escape
from exports.pack import PackSource

# Excel refuses cells longer than this; a longer answer is cut and says so.
EXCEL_CELL_LIMIT = 32767
HEADER_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
EMPTY_SHEET_DATA = "<sheetData></sheetData>"


def _clean(value: str) -> str:
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(value) > EXCEL_CELL_LIMIT:
        marker = _(" […cut: the full text is in pack.pdf]")
        value = value[: EXCEL_CELL_LIMIT - len(marker)] + marker
    return value


class _Styles:
    """The workbook's style ids (indexes into styles.xml) of the few cell styles the sheets use, as the
    attribute of a cell's XML: registered with openpyxl once each, the first time a cell needs one."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self._ids: dict[tuple, str] = {}
        self.date = self._style(number_format="yyyy-mm-dd")
        self.datetime = self._style(number_format="yyyy-mm-dd hh:mm")

    def _style(self, **attributes) -> str:
        key = tuple(sorted(attributes.items(), key=lambda item: item[0]))
        if key not in self._ids:
            cell = WriteOnlyCell(self.ws)
            for name, value in attributes.items():
                setattr(cell, name, value)
            style = cell.style_id
            self._ids[key] = f' s="{style}"' if style else ""
        return self._ids[key]

    def text(self, text: str, *, header: bool = False) -> str:
        if not header and "\n" not in text and not tables.looks_like_formula(text):
            return ""  # the common case, first
        attributes = {}
        if header:
            attributes["font"] = HEADER_FONT
        # Text typed by users is never a formula, even when it starts with "=": stored as a string, and
        # marked with Excel's quote prefix so that editing the cell does not turn it into one either.
        if tables.looks_like_formula(text):
            attributes["quotePrefix"] = True
        if "\n" in text:
            attributes["alignment"] = WRAP
        return self._style(**attributes)


class _Sheet:
    """One sheet: openpyxl writes its frame, its rows go to a file of their own as they come."""

    def __init__(self, workbook: Workbook, title: str, header: list[str], widths: list[int], workdir: Path) -> None:
        self.ws: WriteOnlyWorksheet = workbook.create_sheet(title)
        # Column widths and the frozen header must be set before openpyxl writes the frame.
        for index, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.freeze_panes = "A2"
        # openpyxl streams each write-only sheet to a file in the system's temporary folder. Give it one
        # in the pack's work folder instead, so a build that is killed or cancelled leaves nothing behind
        # outside that folder. (openpyxl's own cleanup removes the path from ALL_TEMP_FILES once saved.)
        number = len(workbook.worksheets)
        self.frame_path = workdir / f"sheet-{number}-frame.xml"
        self.path = str(workdir / f"sheet-{number}.xml")
        ALL_TEMP_FILES.append(self.path)
        self.ws._writer = WorksheetWriter(self.ws, out=str(self.frame_path))
        self.ws._writer.write_top()
        self.rows_path = workdir / f"sheet-{number}-rows.xml"
        self.rows_file: TextIO = self.rows_path.open("w", encoding="utf-8")
        self.styles = _Styles(self.ws)
        self.letters = [get_column_letter(index) for index in range(1, len(header) + 1)]
        self.columns = len(header)
        self.rows = 0
        styles = self.styles
        self._write(
            [
                _cell_xml(letter, 1, title, styles.text(title, header=True))
                for letter, title in zip(self.letters, header, strict=True)
            ]
        )

    def _write(self, cells: list[str]) -> None:
        self.rows += 1
        self.rows_file.write(f'<row r="{self.rows}">{"".join(cells)}</row>')

    def add(self, values: list[object]) -> None:
        row, styles = self.rows + 1, self.styles
        self._write(
            [_value_xml(letter, row, value, styles) for letter, value in zip(self.letters, values, strict=True)]
        )

    def close(self) -> None:
        """Finish the frame, then splice the rows into it where openpyxl left the sheet's data empty."""
        self.rows_file.close()
        self.ws.auto_filter.ref = f"A1:{get_column_letter(self.columns)}{self.rows}"
        self.ws.close()
        frame = self.frame_path.read_text(encoding="utf-8")
        if frame.count(EMPTY_SHEET_DATA) != 1:
            raise RuntimeError("The XLSX sheet frame lost its empty sheetData.")
        head, tail = frame.split(EMPTY_SHEET_DATA)
        with open(self.path, "w", encoding="utf-8") as sheet, self.rows_path.open(encoding="utf-8") as rows:
            sheet.write(head + "<sheetData>")
            while chunk := rows.read(1024 * 1024):
                sheet.write(chunk)
            sheet.write("</sheetData>" + tail)
        # The workbook takes the sheet from the path its writer names.
        self.ws._writer.out = self.path
        self.frame_path.unlink()
        self.rows_path.unlink()

    def discard(self) -> None:
        """Finish the sheet's streams after an interruption; its files go with the work folder."""
        self.rows_file.close()
        with contextlib.suppress(Exception):
            self.ws.close()
        with contextlib.suppress(ValueError):
            ALL_TEMP_FILES.remove(self.path)


def _cell_xml(letter: str, row: int, text: str, style: str) -> str:
    """A text cell: an inline string, its spaces kept when it starts or ends with some."""
    text = _clean(text)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{letter}{row}"{style} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def _value_xml(letter: str, row: int, value: object, styles: _Styles) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return _cell_xml(letter, row, value, styles.text(value))
    if isinstance(value, bool):
        return f'<c r="{letter}{row}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{letter}{row}" t="n"><v>{value:.16g}</v></c>'
    if isinstance(value, datetime.date):
        style = styles.datetime if isinstance(value, datetime.datetime) else styles.date
        return f'<c r="{letter}{row}"{style} t="n"><v>{to_excel(value):.16g}</v></c>'
    text = str(value)
    return _cell_xml(letter, row, text, styles.text(text))


def write_xlsx(source: PackSource, path: Path) -> None:
    workdir = path.parent
    workbook = Workbook(write_only=True)
    header = tables.response_header(source)
    sheets = [
        _Sheet(
            workbook,
            _("Responses"),
            header,
            [34, 22, 20, 16, 14, 12, 12, 16, 50, 11] + [18] * (len(header) - 10),
            workdir,
        ),
        _Sheet(workbook, _("Positions"), tables.position_header(), [34, 30, 18, 50, 60], workdir),
        _Sheet(workbook, _("Answers"), tables.answer_header(), [34, 10, 50, 80], workdir),
    ]
    responses, positions, answers = sheets
    try:
        # Each sheet streams to its own file, so one pass over the responses fills all three.
        for response in source.iter_responses():
            responses.add(tables.response_row(source, response))
            for row in tables.position_rows(source, response):
                positions.add(row)
            for row in tables.answer_rows(response):
                answers.add(row)
    except BaseException:
        for sheet in sheets:
            sheet.discard()
        raise
    for sheet in sheets:
        sheet.close()
    workbook.save(path)
    source.progress.advance()
