"""Files of people to import, for the tests and the import bench: .xlsx and .csv builders, a
generated staff of N teachers, and hostile archives dressed as .xlsx."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

from tests.support.hostile_files import ZerosDeflater

HEADER = ["ФИО", "E-mail", "Организация", "Должность"]
GYM = "МБОУ «Гимназия № 4» г. Энска"
SCH = "МБОУ «СОШ № 12 им. А. С. Пушкина» г. Энска"
SURNAMES = ["Иванова", "Петров", "Сидорова", "Кузнецов", "Смирнова", "Попов", "Васильева", "Соколов"]
NAMES = ["Мария Петровна", "Николай Сергеевич", "Анна Олеговна", "Дмитрий Александрович"]
SUBJECTS = ["математики", "физики", "русского языка и литературы", "информатики", "истории", "биологии"]


def xlsx(rows: list[list], header: list[str] | None = None) -> bytes:
    """An .xlsx whose first sheet holds the header row and `rows` (a cell starting with "=" is a formula)."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER if header is None else header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], header: list[str] | None = None, *, sep: str = ";", encoding: str = "utf-8",
              bom: bool = False) -> bytes:
    lines = [sep.join(str(c) for c in (HEADER if header is None else header))]
    lines += [sep.join(str(c) for c in row) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def teacher(i: int, schools: list[str] | tuple[str, ...] = (GYM, SCH), domain: str = "import.example") -> list:
    """Row i of a generated staff: a unique e-mail, a school taken in turn, a subject."""
    name = f"{SURNAMES[i % len(SURNAMES)]} {NAMES[i % len(NAMES)]} ({i})"
    return [name, f"teacher{i:05d}@{domain}", schools[i % len(schools)], f"учитель {SUBJECTS[i % len(SUBJECTS)]}"]


def teachers(n: int, schools: list[str] | tuple[str, ...] = (GYM, SCH), domain: str = "import.example") -> list[list]:
    return [teacher(i, schools, domain) for i in range(n)]


def zip_bomb_xlsx(mib: int = 1100) -> bytes:
    """A small zip named like a workbook whose one sheet declares `mib` MiB of zeros."""
    real = zipfile.ZipFile(io.BytesIO(xlsx([["Иванова Мария", "a@b.ru", GYM, "учитель"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in real.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                zf.writestr(info.filename, real.read(info))
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member._compressor = ZerosDeflater()
            for _ in range(mib):
                member.write(ZerosDeflater.block)
    return out.getvalue()
