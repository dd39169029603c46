"""Reading an uploaded table (.xlsx or .csv) into rows of text, within limits, before anything
trusts it.

An .xlsx is a zip of XML: its central directory is checked by service/documents/archive.py
(members, declared sizes, ratios) and its declared total bounded by MAX_XLSX_UNPACKED before
openpyxl opens it; openpyxl then streams the first sheet (`read_only=True`) with the sheet's
declared dimensions dropped, so a sheet claiming a million columns is not padded to them. Formula
cells come back as `Formula` (their text, never evaluated: openpyxl does not evaluate, and cached
values are ignored) for the caller to refuse. Reading stops as soon as the file has more than
MAX_ROWS data rows (MAX_SCANNED rows, blank ones included) or a value beyond MAX_COLUMNS.

A .csv is UTF-8 (with or without BOM) or, failing that, Windows-1251; its delimiter is the most
frequent of `;`, `,` and tab in the header line.

Every refusal of the whole file is a FormRejected with one problem at "/file".
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from service.documents.archive import check_archive
from service.domain.errors import FieldProblem, FormRejected, TemplateRejected

MAX_ROWS = 10_000
MAX_COLUMNS = 50
MAX_XLSX_UNPACKED = 30 * 1024 * 1024
MAX_SCANNED = 10 * MAX_ROWS  # rows read at all, blank ones included (a sheet of a million blank rows)
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls


class Formula(str):
    """A cell that holds a formula (its text, starting with "="), not a value."""


Cell = str  # plain text, or a Formula


@dataclass(frozen=True)
class Table:
    """The header (first non-empty row) and the data rows, each with its number as in the file."""

    kind: str  # xlsx | csv
    header_row: int
    header: list[str]
    rows: list[tuple[int, list[Cell]]]


def refuse(message: str) -> FormRejected:
    return FormRejected([FieldProblem("/file", message)], message)


def read_table(data: bytes, file_name: str = "") -> Table:
    """The table in `data` (.xlsx by its zip signature, else .csv); FormRejected for the whole file."""
    if not data.strip():
        raise refuse("Файл пуст")
    name = file_name.lower()
    if data.startswith(ZIP_MAGIC):
        return _read_xlsx(data)
    if data.startswith(OLE_MAGIC) or name.endswith(".xls"):
        raise refuse("Формат .xls не поддерживается: сохраните таблицу как .xlsx или .csv")
    if name.endswith(".xlsx"):
        raise refuse("Файл не является книгой .xlsx (это не zip-архив)")
    return _read_csv(data)


# --- .xlsx -------------------------------------------------------------------------------------
def _read_xlsx(data: bytes) -> Table:
    label = "Файл .xlsx"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:  # the central directory only: nothing inflates
            check_archive(zf, label)
            if sum(info.file_size for info in zf.infolist()) > MAX_XLSX_UNPACKED:
                raise refuse(f"{label} отклонён: распаковывается более чем в "
                             f"{MAX_XLSX_UNPACKED // (1024 * 1024)} МБ")
            if "xl/workbook.xml" not in zf.namelist():
                raise refuse(f"{label} не является книгой Excel (нет xl/workbook.xml)")
    except TemplateRejected as exc:
        raise refuse(exc.message) from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise refuse("Файл не является книгой .xlsx (повреждённый zip-архив)") from exc
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError,
            AttributeError, ParseError, OSError, EOFError, zlib.error) as exc:
        raise refuse(f"Файл не удалось прочитать как книгу .xlsx ({type(exc).__name__})") from exc
    try:
        if not book.worksheets:
            raise refuse("В книге нет листов")
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # a declared A1:XFD1048576 must not pad every row
        return _collect("xlsx", _xlsx_rows(sheet))
    except (KeyError, ValueError, TypeError, IndexError, AttributeError, ParseError, OSError, EOFError,
            zipfile.BadZipFile, zlib.error) as exc:
        raise refuse(f"Файл не удалось прочитать как книгу .xlsx ({type(exc).__name__})") from exc
    finally:
        book.close()


def _xlsx_rows(sheet):
    number = 0
    for cells in sheet.iter_rows():
        number = next((c.row for c in cells if getattr(c, "row", None)), number + 1)
        yield number, [_xlsx_text(c) for c in cells]


def _xlsx_text(cell) -> Cell:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if getattr(cell, "data_type", None) == "f":
        return Formula(str(value))
    if isinstance(value, bool):
        return "ИСТИНА" if value else "ЛОЖЬ"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


# --- .csv --------------------------------------------------------------------------------------
def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251")
    except UnicodeDecodeError as exc:
        raise refuse("Файл .csv не в кодировке UTF-8 или Windows-1251") from exc


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)
    try:
        return _collect("csv", ((i, row) for i, row in enumerate(reader, start=1)))
    except csv.Error as exc:
        raise refuse(f"Файл .csv не удалось разобрать: {exc}") from exc


# --- both --------------------------------------------------------------------------------------
def _collect(kind: str, numbered) -> Table:
    header: list[str] | None = None
    header_row = 0
    rows: list[tuple[int, list[Cell]]] = []
    for scanned, (number, cells) in enumerate(numbered, start=1):
        if scanned > MAX_SCANNED:
            raise refuse(f"В файле больше {MAX_SCANNED:,} строк (считая пустые): удалите пустые строки в конце "
                         f"листа".replace(",", " "))
        if any(str(c).strip() for c in cells[MAX_COLUMNS:]):
            raise refuse(f"В строке {number} заполнено больше {MAX_COLUMNS} столбцов: допустимо не более {MAX_COLUMNS}")
        cells = list(cells[:MAX_COLUMNS])
        if not any(str(c).strip() for c in cells):
            continue
        if header is None:
            header, header_row = [str(c) for c in cells], number
            continue
        if len(rows) == MAX_ROWS:
            raise refuse(f"В файле больше {MAX_ROWS:,} строк с данными: разделите его на части".replace(",", " "))
        rows.append((number, cells))
    if header is None:
        raise refuse("Файл пуст: нет строки заголовков")
    return Table(kind, header_row, header, rows)
