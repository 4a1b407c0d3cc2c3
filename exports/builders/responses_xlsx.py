"""responses.xlsx: sheets of responses, positions and answers, written row by row (openpyxl write-only)."""

import contextlib
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import ALL_TEMP_FILES, WorksheetWriter

from exports.builders import tables
from exports.pack import PackSource

# Excel refuses cells longer than this; a longer answer is cut and says so.
EXCEL_CELL_LIMIT = 32767
HEADER_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


class _Sheet:
    """A write-only sheet that counts its rows, so the auto-filter can cover them at the end."""

    def __init__(self, workbook: Workbook, title: str, header: list[str], widths: list[int], workdir: Path) -> None:
        self.ws: WriteOnlyWorksheet = workbook.create_sheet(title)
        # Column widths and the frozen header must be set before the first row is written.
        for index, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.freeze_panes = "A2"
        # openpyxl streams each write-only sheet to a file in the system's temporary folder. Give it one
        # in the pack's work folder instead, so a build that is killed or cancelled leaves nothing behind
        # outside that folder. (openpyxl's own cleanup removes the path from ALL_TEMP_FILES once saved.)
        self.path = str(workdir / f"sheet-{len(workbook.worksheets)}.xml")
        ALL_TEMP_FILES.append(self.path)
        self.ws._writer = WorksheetWriter(self.ws, out=self.path)
        self.ws._writer.write_top()
        self.columns = len(header)
        self.rows = 0
        cells = []
        for title_text in header:
            cell = _cell(self.ws, title_text)
            cell.font = HEADER_FONT
            cells.append(cell)
        self._append(cells)

    def _append(self, cells: list) -> None:
        self.ws.append(cells)
        self.rows += 1

    def add(self, values: list[object]) -> None:
        self._append([_cell(self.ws, value) for value in values])

    def close(self) -> None:
        self.ws.auto_filter.ref = f"A1:{get_column_letter(self.columns)}{self.rows}"

    def discard(self) -> None:
        """Finish the sheet's stream after an interruption; its file goes with the work folder."""
        with contextlib.suppress(Exception):
            self.ws.close()
        with contextlib.suppress(ValueError):
            ALL_TEMP_FILES.remove(self.path)


def _clean(value: str) -> str:
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(value) > EXCEL_CELL_LIMIT:
        marker = _(" […cut: the full text is in pack.pdf]")
        value = value[: EXCEL_CELL_LIMIT - len(marker)] + marker
    return value


def _cell(ws: WriteOnlyWorksheet, value: object) -> WriteOnlyCell:
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=_clean(value))
        # Text typed by users is never a formula, even when it starts with "=": stored as a string, and
        # marked with Excel's quote prefix so that editing the cell does not turn it into one either.
        cell.data_type = "s"
        if tables.looks_like_formula(value):
            cell.quotePrefix = True
        if "\n" in value:
            cell.alignment = WRAP
        return cell
    cell = WriteOnlyCell(ws, value=value)
    if hasattr(value, "year"):
        cell.number_format = "yyyy-mm-dd hh:mm" if hasattr(value, "hour") else "yyyy-mm-dd"
    return cell


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
        # Each write-only sheet streams to its own file, so one pass over the responses fills all three.
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
