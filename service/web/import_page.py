"""The bulk import page: upload, preview with per-row errors, import; and a sample file.

Between the preview and the import the page does not ask for the file again: the uploaded bytes
are kept under `<instance>/imports/<user id>-<sha256>` (or IMPORT_STAGING_DIR; one per person: a new upload replaces the
old one), the import form names them by their SHA-256, and they are removed after the import or
after STAGED_FOR (anyone's, at the next upload).
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

from flask import current_app, render_template, request, send_file
from openpyxl import Workbook

from service.domain.errors import FieldProblem, FormRejected
from service.domain.limits import MAX_ID
from service.services import people_import
from service.web.blueprint import bp, ctx, login_required, me

STAGED_FOR = 24 * 3600
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SAMPLE_ROWS = [
    ["Иванова Мария Петровна", "ivanova@school4.example", "МБОУ «Гимназия № 4» г. Энска", "учитель математики",
     "педагог", ""],
    ["Тьюторова Светлана Андреевна", "tutorova@cnppm.example", "ЦНППМ «Учитель будущего» Энской области",
     "тьютор", "тьютор", "tutorova"],
]


# --- staging the upload --------------------------------------------------------------------------
def _staging() -> Path:
    folder = Path(current_app.config.get("IMPORT_STAGING_DIR") or Path(current_app.instance_path) / "imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stage(user_id: int, sha256: str, data: bytes) -> None:
    folder, now = _staging(), time.time()
    for old in folder.iterdir():
        if old.name.startswith(f"{user_id}-") or now - old.stat().st_mtime > STAGED_FOR:
            old.unlink(missing_ok=True)
    (folder / f"{user_id}-{sha256}").write_bytes(data)


def _staged(user_id: int, sha256: str) -> Path | None:
    if not _SHA256.match(sha256):
        return None
    path = _staging() / f"{user_id}-{sha256}"
    if not path.is_file() or time.time() - path.stat().st_mtime > STAGED_FOR:
        return None
    return path


# --- the views ---------------------------------------------------------------------------------
def _centre_field() -> int | None:
    raw = request.form.get("centre", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw[:12]) <= MAX_ID:
        raise FormRejected([FieldProblem("/centre", "Выберите ЦНППМ из списка")])
    return int(raw)


def _form(problems=None, status: int = 200, centre: int | None = None):
    return render_template("web/people_import.html", centres=people_import.centres_for(ctx(), me()),
                           centre=centre, problems=problems, active="people"), status


@bp.get("/people/import")
@login_required
def people_import_form():
    """The upload form (admins and CNPPM heads)."""
    return _form()


@bp.post("/people/import")
@login_required
def people_import_preview():
    """Keep the uploaded file and show what importing it would do; nothing is written."""
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    try:
        centre = _centre_field()
        if not data:
            raise FormRejected([FieldProblem("/file", "Выберите файл .xlsx или .csv")])
        report = people_import.import_people(ctx(), me(), data, file_name=upload.filename or "", centre_id=centre)
    except FormRejected as exc:
        return _form(exc.problems, 422, request.form.get("centre", "").strip() or None)
    _stage(me().user_id, report["sha256"], data)
    return render_template("web/people_import_preview.html", report=report, refused=None, active="people")


@bp.post("/people/import/run")
@login_required
def people_import_run():
    """Import the kept file: all rows (refused while errors remain) or only the rows without errors."""
    sha256 = request.form.get("sha256", "")
    mode = request.form.get("mode", "")
    path = _staged(me().user_id, sha256)
    if path is None:
        return _form([FieldProblem("/file", "Загруженный файл не найден (прошло больше суток или он уже "
                                            "импортирован): загрузите его снова")], 422)
    data, name = path.read_bytes(), request.form.get("file_name", "")[:200]
    try:
        centre = _centre_field()
        report = people_import.import_people(ctx(), me(), data, file_name=name, centre_id=centre,
                                             mode=mode if mode in ("import", "import_valid") else "import")
    except FormRejected as exc:
        if any(p.pointer.startswith("/rows/") for p in exc.problems):
            report = people_import.import_people(ctx(), me(), data, file_name=name, centre_id=centre)
            return render_template("web/people_import_preview.html", report=report, refused=exc.message,
                                   active="people"), 422
        return _form(exc.problems, 422)
    path.unlink(missing_ok=True)
    return render_template("web/people_import_done.html", report=report, active="people")


@bp.get("/people/import/sample.xlsx")
@login_required
def people_import_sample():
    """A sample file: the header row and two example rows."""
    people_import.centres_for(ctx(), me())  # the same people as the page
    book = Workbook()
    sheet = book.active
    sheet.title = "Люди"
    sheet.append(["ФИО", "E-mail", "Организация", "Должность", "Роль", "Логин"])
    for row in SAMPLE_ROWS:
        sheet.append(row)
    for column, width in zip("ABCDEF", (34, 30, 44, 24, 30, 14), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return send_file(out, mimetype=XLSX, as_attachment=True, download_name="import_people_sample.xlsx")
