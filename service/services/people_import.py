"""Bulk import of teachers and staff from an .xlsx or .csv table: a preview with per-row problems
and counts (writes nothing), then the import (one transaction, one system-chain event).

The stable key is the e-mail, lower-cased (users.email): a row whose e-mail names an existing person
updates only what changed (name, position, organisation, the role's scope, the teacher profile's
school); otherwise the row creates a person. Re-importing the same file therefore changes nothing:
no writes, no event.

Columns are found by their header (first non-empty row), whatever their order, case or spacing:
«ФИО», «E-mail» (or «Email», «Электронная почта»), «Организация» (or «Школа») — required;
«Должность», «Роль» (педагог by default; тьютор, руководитель ОО, заместитель руководителя ОО),
«Логин» (the e-mail by default; used only when the person is created) — optional. Other columns
are ignored and named in the report's notes.

Reach: an admin imports into every active school and centre (or one centre's, `centre_id`); a CNPPM
head only into the active schools of a centre they head, and may update only people who already
belong there. A tutor's organisation is a centre; everyone else's a school. Roles that carry more
power (methodist, CNPPM head, auditor, admin) are never granted by a file.

New people get no usable password (UNUSABLE_PASSWORD_HASH) and must_change_password: they get in
through a reset link from the admin. Hashing a real password for each would cost ~70 ms a person
(werkzeug's scrypt): about 6 minutes for 5,000.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from service.db.models import OrgUnit, RoleGrant, TeacherProfile, User
from service.domain.access import Actor, centres_headed
from service.domain.errors import ConcurrentUpdate, FieldProblem, FormRejected, NotAllowed, NotFound
from service.domain.states import EventKind
from service.services.context import ServiceContext
from service.services.events import append_event
from service.services.tabular import Formula, Table, read_table

MODES = ("preview", "import", "import_valid")
MAX_CELL = 300
MAX_LOGIN = 100
MAX_EMAIL = 254
SHOWN = 60  # characters of a bad value quoted in a message
# A werkzeug hash record that no password matches: checking it runs the same scrypt as a real one
# (so a wrong password costs the same time) and compares against "!", which no digest equals.
UNUSABLE_PASSWORD_HASH = "scrypt:32768:8:1$unusable-imported$!"

# column key → (the title used in messages, accepted header spellings after _header_key)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "full_name": ("ФИО", ("фио", "ф.и.о.", "фамилия имя отчество")),
    "email": ("E-mail", ("e-mail", "email", "е-mail", "электронная почта", "эл. почта", "адрес электронной почты")),
    "organisation": ("Организация", ("организация", "школа", "образовательная организация", "оо")),
    "position": ("Должность", ("должность",)),
    "role": ("Роль", ("роль",)),
    "login": ("Логин", ("логин",)),
}
REQUIRED = ("full_name", "email", "organisation")
ROLE_NAMES = {
    "педагог": "teacher", "учитель": "teacher", "тьютор": "tutor",
    "руководитель оо": "school_head", "директор": "school_head",
    "заместитель руководителя оо": "deputy_head", "заместитель директора": "deputy_head",
}
ROLE_LABELS = {"teacher": "педагог", "tutor": "тьютор", "school_head": "руководитель ОО",
               "deputy_head": "заместитель руководителя ОО"}
UNIT_KIND = {"teacher": "school", "tutor": "centre", "school_head": "school", "deputy_head": "school"}
CHANGE_LABELS = {"full_name": "ФИО", "position": "должность", "organisation": "организация", "role": "роль"}

_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"«": '"', "»": '"', "“": '"', "”": '"', "„": '"', "'": '"', "ё": "е"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LOGIN_BAD = re.compile(r"[\s\x00-\x1f\x7f]")


def _space(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _name_key(text: str) -> str:
    """Organisation names match after normalising spaces, case, «» / "" quotes and ё."""
    return _space(text).casefold().translate(_QUOTES)


def _header_key(text: str) -> str:
    return _space(text).casefold().replace("ё", "е").rstrip("*: ").strip()


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


@dataclass(frozen=True)
class Reach:
    """The active organisations a file may name: normalised name → [(id, kind)]; the centre chosen."""

    centre_id: int | None
    units: dict[str, list[tuple[int, str]]]
    ids: frozenset[int]


@dataclass
class Row:
    number: int
    values: dict[str, str]
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column key, message)
    role: str = "teacher"
    unit_id: int | None = None
    unit_name: str = ""
    login: str = ""
    action: str = "new"  # new | update | unchanged | error
    changes: list[str] = field(default_factory=list)
    user_id: int | None = None

    def problem(self, key: str, message: str) -> None:
        title = COLUMNS[key][0] if key in COLUMNS else key
        self.problems.append((key, f"Строка {self.number}, столбец «{title}»: {message}"))


# --- the use case ------------------------------------------------------------------------------
def import_people(ctx: ServiceContext, actor: Actor, data: bytes, *, file_name: str = "",
                  centre_id: int | None = None, mode: str = "preview") -> dict[str, Any]:
    """Preview (`mode` "preview"), import ("import": refused with 422 while any row has a problem)
    or import the rows without problems ("import_valid"). Returns the report (see contracts/imports)."""
    if mode not in MODES:
        raise FormRejected([FieldProblem("?mode", "Режим: preview, import или import_valid")])
    digest = hashlib.sha256(data).hexdigest()
    with ctx.uow() as uow:
        s = uow.session
        reach = _reach(s, actor, centre_id)  # before reading the file: outsiders spend nothing
        rows, notes = parse_rows(read_table(data, file_name), reach)
        existing = _plan(s, actor, rows, reach)
        report = _report(digest, file_name, mode, reach, rows, notes)
        if mode == "preview":
            return report
        if mode == "import" and report["counts"]["errors"]:
            raise FormRejected(
                [FieldProblem(f"/rows/{r.number}/{key}", message) for r in rows for key, message in r.problems],
                f"В файле {report['counts']['errors']} строк с ошибками: исправьте их или импортируйте "
                f"только строки без ошибок")
        created, updated = _write(s, rows, existing, ctx.clock())
        if created or updated:
            append_event(s, route_id=None, at=ctx.clock(), kind=EventKind.PEOPLE_IMPORTED, actor_id=actor.user_id,
                         data={"sha256": digest, "file_name": file_name[:200], "centre_id": reach.centre_id,
                               "mode": mode, "counts": report["counts"], "created_user_ids": created,
                               "updated_user_ids": updated})
            try:
                uow.commit()
            except IntegrityError as exc:
                raise ConcurrentUpdate("Те же люди одновременно изменены другим запросом (например, другим "
                                       "импортом): ничего не записано, повторите импорт") from exc
        report["written"] = bool(created or updated)
        report["created_user_ids"] = created
        return report


# --- reach -------------------------------------------------------------------------------------
def _reach(s, actor: Actor, centre_id: int | None) -> Reach:
    headed = centres_headed(actor)
    if not actor.is_admin:
        if not headed:
            raise NotAllowed("Импорт людей доступен администратору и руководителю ЦНППМ")
        if centre_id is None:
            if len(headed) > 1:
                raise FormRejected([FieldProblem("?centre", "Выберите ЦНППМ, в школы которого идёт импорт")])
            centre_id = next(iter(headed))
        elif centre_id not in headed:
            raise NotAllowed("Импортировать можно только в школы вашего ЦНППМ")
    if centre_id is not None:
        centre = s.get(OrgUnit, centre_id)
        if centre is None or centre.kind != "centre":
            raise NotFound("Нет такого ЦНППМ")
        if not centre.is_active:
            raise FormRejected([FieldProblem("?centre", "ЦНППМ отключён: импорт в его школы невозможен")])
        query = sa.select(OrgUnit.id, OrgUnit.kind, OrgUnit.name).where(
            OrgUnit.is_active, sa.or_(OrgUnit.id == centre_id,
                                      sa.and_(OrgUnit.kind == "school", OrgUnit.parent_id == centre_id)))
    else:
        query = sa.select(OrgUnit.id, OrgUnit.kind, OrgUnit.name).where(
            OrgUnit.is_active, OrgUnit.kind.in_(("school", "centre")))
    units: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for unit_id, kind, name in s.execute(query):
        units[_name_key(name)].append((unit_id, kind))
    return Reach(centre_id, dict(units), frozenset(i for found in units.values() for i, _ in found))


def centres_for(ctx: ServiceContext, actor: Actor) -> list[dict[str, Any]]:
    """The active centres the actor may import into: every one for an admin, the headed ones for a
    CNPPM head; NotAllowed for anyone else."""
    headed = centres_headed(actor)
    if not (actor.is_admin or headed):
        raise NotAllowed("Импорт людей доступен администратору и руководителю ЦНППМ")
    with ctx.uow() as uow:
        query = sa.select(OrgUnit.id, OrgUnit.name).where(OrgUnit.kind == "centre", OrgUnit.is_active)
        if not actor.is_admin:
            query = query.where(OrgUnit.id.in_(headed))
        return [{"id": i, "name": n} for i, n in uow.session.execute(query.order_by(OrgUnit.name, OrgUnit.id))]


# --- rows --------------------------------------------------------------------------------------
def parse_rows(table: Table, reach: Reach) -> tuple[list[Row], list[str]]:
    """Each data row checked on its own and against the others (repeated e-mails and logins), and
    the notes about the file (ignored columns). Needs no database."""
    columns, notes = _columns(table)
    rows = [_parse_row(number, cells, columns, reach) for number, cells in table.rows]
    _mark_duplicates(rows, "email")
    _mark_duplicates(rows, "login")
    return rows, notes


def _columns(table: Table) -> tuple[dict[str, int], list[str]]:
    known = {alias: key for key, (_, aliases) in COLUMNS.items() for alias in aliases}
    columns: dict[str, int] = {}
    notes: list[str] = []
    for index, title in enumerate(table.header):
        if not title.strip():
            continue
        key = known.get(_header_key(title))
        if key is None:
            notes.append(f"Столбец «{_shown(_space(title))}» не используется")
        elif key in columns:
            raise FormRejected([FieldProblem("/file", m := f"Столбец «{COLUMNS[key][0]}» встречается в строке "
                                                           f"заголовков {table.header_row} дважды")], m)
        else:
            columns[key] = index
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in columns]
    if missing:
        message = ("В файле нет " + ("столбца " if len(missing) == 1 else "столбцов ")
                   + ", ".join(f"«{m}»" for m in missing)
                   + f" (заголовки ищутся в первой непустой строке — строке {table.header_row})")
        raise FormRejected([FieldProblem("/file", message)], message)
    return columns, notes


def _parse_row(number: int, cells: list, columns: dict[str, int], reach: Reach) -> Row:
    row = Row(number, {})
    for key, index in columns.items():
        raw = cells[index] if index < len(cells) else ""
        if isinstance(raw, Formula):
            row.problem(key, f"формула «{_shown(raw)}» вместо значения — вставьте в файл значения")
            row.values[key] = ""
            continue
        if _CONTROL.search(raw):
            row.problem(key, "недопустимые управляющие символы (например, NUL)")
            row.values[key] = ""
            continue
        value = _space(raw)
        if len(value) > MAX_CELL:
            row.problem(key, f"текст длиннее {MAX_CELL} символов ({len(value)})")
            value = ""
        row.values[key] = value
    _check_values(row, reach)
    return row


def _check_values(row: Row, reach: Reach) -> None:
    v = row.values
    for key in REQUIRED:
        if not v.get(key) and not any(k == key for k, _ in row.problems):
            row.problem(key, "не заполнено")
    email = v.get("email", "").lower()
    v["email"] = email
    if email and (len(email) > MAX_EMAIL or not _EMAIL.match(email)):
        row.problem("email", f"«{_shown(email)}» — не адрес электронной почты")
    role_text = _space(v.get("role", "")).casefold()
    if role_text:
        role = ROLE_NAMES.get(role_text)
        if role is None:
            row.problem("role", f"«{_shown(v['role'])}» — неизвестная роль; допустимо: "
                        + ", ".join(ROLE_LABELS.values()))
        else:
            row.role = role
    login = v.get("login") or email
    if v.get("login") and _LOGIN_BAD.search(v["login"]):
        row.problem("login", f"«{_shown(v['login'])}» — в логине не должно быть пробелов")
    elif len(login) > MAX_LOGIN:
        row.problem("login", f"логин длиннее {MAX_LOGIN} символов"
                    + ("" if v.get("login") else " (по умолчанию логин — e-mail): укажите логин"))
    row.login = login
    name = v.get("organisation", "")
    if name:
        wanted = UNIT_KIND[row.role]
        found = [(i, kind) for i, kind in reach.units.get(_name_key(name), []) if kind == wanted]
        if not found:
            where = "среди действующих школ" if wanted == "school" else "среди действующих ЦНППМ"
            scope = " выбранного ЦНППМ" if reach.centre_id is not None and wanted == "school" else ""
            row.problem("organisation", f"«{_shown(name)}» не найдена {where}{scope}"
                        + (" (для тьютора указывается ЦНППМ)" if row.role == "tutor" else ""))
        elif len(found) > 1:
            row.problem("organisation", f"«{_shown(name)}» — несколько организаций с таким названием")
        else:
            row.unit_id, row.unit_name = found[0][0], name


def _mark_duplicates(rows: list[Row], key: str) -> None:
    seen: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        value = (row.values.get("email") if key == "email" else row.login.lower()) or ""
        if value:
            seen[value].append(row)
    for value, same in seen.items():
        if len(same) > 1:
            for row in same:
                others = ", ".join(str(r.number) for r in same if r is not row)
                shown = f"«{_shown(value)}»"
                if key == "email":
                    row.problem("email", f"{shown} встречается в файле несколько раз (также строка {others})")
                elif not any(k == "email" and "несколько раз" in m for k, m in row.problems):
                    row.problem("login", f"логин {shown} встречается в файле несколько раз (также строка {others})")


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _plan(s, actor: Actor, rows: list[Row], reach: Reach) -> dict[str, User]:
    """Match rows to existing people by e-mail; decide new / update / unchanged / error."""
    emails = [r.values["email"] for r in rows if r.values.get("email")]
    existing: dict[str, User] = {}
    for part in _chunks(emails):
        for user in s.scalars(sa.select(User).where(User.email.in_(part))):
            existing[user.email] = user
    user_ids = [u.id for u in existing.values()]
    grants: dict[int, set[tuple[str, int | None]]] = defaultdict(set)
    profiles: dict[int, int] = {}
    for part in _chunks(user_ids):
        for user_id, role, unit in s.execute(sa.select(RoleGrant.user_id, RoleGrant.role, RoleGrant.org_unit_id)
                                             .where(RoleGrant.user_id.in_(part))):
            grants[user_id].add((role, unit))
        for user_id, school_id in s.execute(sa.select(TeacherProfile.user_id, TeacherProfile.school_id)
                                            .where(TeacherProfile.user_id.in_(part))):
            profiles[user_id] = school_id
    new_logins = list({r.login.lower() for r in rows if r.login and r.values.get("email") not in existing})
    taken: set[str] = set()
    for part in _chunks(new_logins):
        taken.update(login.lower() for login in s.scalars(sa.select(User.login)
                                                         .where(sa.func.lower(User.login).in_(part))))
    for row in rows:
        user = existing.get(row.values.get("email", ""))
        if user is not None:
            row.user_id, row.login = user.id, user.login  # the file's login names new people only
            if not actor.is_admin and user.org_unit_id not in reach.ids:
                row.problem("email", f"«{_shown(user.email)}» уже принадлежит пользователю вне вашего ЦНППМ")
        elif row.login and row.login.lower() in taken:
            row.problem("login", f"логин «{_shown(row.login)}» уже занят другим пользователем")
        if row.problems:
            row.action = "error"
        elif user is None:
            row.action = "new"
        else:
            row.changes = _changes(row, user, grants[user.id], profiles.get(user.id))
            row.action = "update" if row.changes else "unchanged"
    return existing


def _changes(row: Row, user: User, grants: set, profile_school: int | None) -> list[str]:
    v = row.values
    out = []
    if user.full_name != v["full_name"]:
        out.append("full_name")
    if (user.position or "") != v.get("position", ""):
        out.append("position")
    if user.org_unit_id != row.unit_id or (row.role == "teacher" and profile_school != row.unit_id):
        out.append("organisation")
    if (row.role, row.unit_id) not in grants:
        out.append("role")
    return out


# --- writing -----------------------------------------------------------------------------------
def _write(s, rows: list[Row], existing: dict[str, User], now) -> tuple[list[int], list[int]]:
    """Insert the new people in bulk and update the changed ones; returns (created ids, updated ids)."""
    fresh = [r for r in rows if r.action == "new"]
    users = [User(login=r.login, email=r.values["email"], full_name=r.values["full_name"],
                  position=r.values.get("position", ""), org_unit_id=r.unit_id, password_hash=UNUSABLE_PASSWORD_HASH,
                  must_change_password=True, is_active=True, created_at=now) for r in fresh]
    s.add_all(users)
    s.flush()  # one multi-row INSERT … RETURNING per batch on both databases
    added: list[Any] = []
    for row, user in zip(fresh, users, strict=True):
        row.user_id = user.id
        added.append(RoleGrant(user_id=user.id, role=row.role, org_unit_id=row.unit_id))
        if row.role == "teacher":
            added.append(TeacherProfile(user_id=user.id, school_id=row.unit_id,
                                        info={"position": row.values.get("position", "")}, updated_at=now))
    changed = [r for r in rows if r.action == "update"]
    if changed:
        _update(s, changed, existing, now, added)
    s.add_all(added)
    s.flush()
    return [u.id for u in users], [r.user_id for r in changed]


def _update(s, changed: list[Row], existing: dict[str, User], now, added: list) -> None:
    ids = [r.user_id for r in changed]
    profiles: dict[int, TeacherProfile] = {}
    grants: dict[int, list[RoleGrant]] = defaultdict(list)
    for part in _chunks(ids):
        profiles.update((p.user_id, p) for p in s.scalars(sa.select(TeacherProfile)
                                                           .where(TeacherProfile.user_id.in_(part))))
        for grant in s.scalars(sa.select(RoleGrant).where(RoleGrant.user_id.in_(part))):
            grants[grant.user_id].append(grant)
    for row in changed:
        user = existing[row.values["email"]]
        position = row.values.get("position", "")
        if "role" in row.changes:  # the role held at the old organisation moves; otherwise it is added
            moved = next((g for g in grants[user.id] if g.role == row.role and g.org_unit_id == user.org_unit_id
                          and user.org_unit_id is not None), None)
            if moved is not None:
                moved.org_unit_id = row.unit_id
            else:
                added.append(RoleGrant(user_id=user.id, role=row.role, org_unit_id=row.unit_id))
        user.full_name = row.values["full_name"]
        user.position = position
        user.org_unit_id = row.unit_id
        if row.role == "teacher":
            profile = profiles.get(user.id)
            if profile is None:
                added.append(TeacherProfile(user_id=user.id, school_id=row.unit_id, info={"position": position},
                                            updated_at=now))
            elif profile.school_id != row.unit_id or "position" in row.changes:
                profile.school_id = row.unit_id
                profile.info = {**(profile.info or {}), "position": position}
                profile.updated_at = now


# --- the report --------------------------------------------------------------------------------
def _report(digest: str, file_name: str, mode: str, reach: Reach, rows: list[Row], notes: list[str]) -> dict:
    counts = {"rows": len(rows), "new": 0, "update": 0, "unchanged": 0, "errors": 0}
    for row in rows:
        counts["errors" if row.action == "error" else row.action] += 1
    shown = sorted(rows, key=lambda r: (r.action != "error", r.number))
    return {
        "sha256": digest, "file_name": file_name, "mode": mode, "centre_id": reach.centre_id, "written": False,
        "counts": counts, "notes": notes,
        "problems": [{"row": r.number, "column": COLUMNS[k][0], "message": m} for r in shown if r.problems
                     for k, m in r.problems],
        "rows": [{"row": r.number, "action": r.action, "full_name": r.values.get("full_name", ""),
                  "email": r.values.get("email", ""), "organisation": r.values.get("organisation", ""),
                  "role": ROLE_LABELS[r.role], "position": r.values.get("position", ""), "login": r.login,
                  "changes": [CHANGE_LABELS[c] for c in r.changes], "problems": [m for _, m in r.problems]}
                 for r in shown],
    }
