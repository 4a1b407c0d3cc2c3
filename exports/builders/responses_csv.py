"""responses.csv: one row per response, UTF-8 with a byte-order mark so that Excel reads it as UTF-8."""

import csv
from pathlib import Path

from exports.builders import tables
from exports.pack import PackSource

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> str:
    text = tables.as_text(value)
    if isinstance(value, str) and text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def write_csv(source: PackSource, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(tables.response_header(source))
        for response in source.iter_responses():
            writer.writerow([_safe(value) for value in tables.response_row(source, response)])
    source.progress.advance()
