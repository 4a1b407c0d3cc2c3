"""responses.csv: one row per response, UTF-8 with a byte-order mark so that Excel reads it as UTF-8."""

import csv
from pathlib import Path

from exports.builders import tables
from exports.pack import PackSource


def _safe(value: object) -> str:
    """A cell as text; anything a spreadsheet could take for a formula gets a leading apostrophe."""
    return tables.neutralise_formula(tables.as_text(value))


def write_csv(source: PackSource, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        # Header cells name topics and questions, which users typed: neutralised like the rest.
        writer.writerow([_safe(title) for title in tables.response_header(source)])
        for response in source.iter_responses():
            writer.writerow([_safe(value) for value in tables.response_row(source, response)])
    source.progress.advance()
