"""Writing rows a person's spreadsheet opens safely: the queue and the statistics exports share it.

Characters an .xlsx cannot hold are dropped from text, and text a spreadsheet would take for a
formula ("=…", "+…", "-…", "@…": formula injection) is stored as text, with the quote prefix so
Excel keeps it text when the cell is edited."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMULA_START = ("=", "+", "-", "@")


def clean(value: Any) -> Any:
    """Text without the characters a cell cannot hold; anything else as it is."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def header(ws, titles: Iterable[str]) -> None:
    """The bold header row."""
    ws.append(list(titles))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)


def append_row(ws, values: Iterable[Any]) -> tuple:
    """Append a row of cleaned values, formula-looking text kept as text; the row's cells."""
    ws.append([clean(v) for v in values])
    cells = ws[ws.max_row]
    for cell in cells:
        if looks_like_formula(cell.value):
            cell.data_type = "s"  # openpyxl would have made "=…" a formula
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return cells


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def to_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
