"""The teacher's information sheet (информационная справка): part of the teacher's record, not of
any route. The teacher and the tutor of any of their routes edit it; whoever sees one of their
routes, the CNPPM head of their centre and an admin read it. A route's draft is prefilled from the
current sheet; the card keeps what the draft submitted, so later edits change no card or document.
Editing the sheet is not route history: no event is written."""

from __future__ import annotations

import copy
from typing import Any

import sqlalchemy as sa

from service.db.models import OrgUnit, Route, TeacherProfile, User
from service.domain.access import Actor, may_view_route
from service.domain.errors import FieldProblem, FormRejected, NotAllowed, NotFound
from service.services.context import ServiceContext
from service.services.routes import facts

FORM = "draft"  # the sheet is the draft form's "info" part
FROM_RECORD = ("full_name", "school")  # shown on the sheet, kept by the person's and the school's records


def sheet_schema(ctx: ServiceContext) -> dict[str, Any]:
    """The sheet's form: the draft form's "info", without what comes from the records."""
    draft = ctx.forms.schema(FORM)
    info = draft["properties"]["info"]
    for key in FROM_RECORD:
        info["properties"].pop(key)
    info["required"] = [k for k in info["required"] if k not in FROM_RECORD]
    return {"type": "object", "title": "Информационная справка о педагоге", "properties": {"info": info},
            "required": ["info"], "additionalProperties": False, "$defs": draft["$defs"]}


def card_info(session, teacher_id: int) -> dict[str, Any] | None:
    """The sheet as a route card's "info": the stored sheet with the name and the school of the records."""
    profile = session.get(TeacherProfile, teacher_id)
    if profile is None:
        return None
    teacher, school = session.get(User, teacher_id), session.get(OrgUnit, profile.school_id)
    info = copy.deepcopy(profile.info)
    info.update({"full_name": teacher.full_name, "school": school.name,
                 "position": info.get("position") or teacher.position})
    return info


def sheet(ctx: ServiceContext, actor: Actor, teacher_id: int) -> dict[str, Any]:
    """The teacher's sheet, with who changed it last and whether the caller may edit it."""
    with ctx.uow() as uow:
        s = uow.session
        profile = _profile(s, teacher_id)
        can_edit = _may_edit(s, actor, teacher_id)
        if not (can_edit or _may_read(s, actor, profile)):
            raise NotAllowed("Справка педагога вне вашей зоны доступа")
        return _view(s, profile, can_edit)


def save_sheet(ctx: ServiceContext, actor: Actor, teacher_id: int, info: Any) -> dict[str, Any]:
    """Replace the sheet (validated against the draft form's "info"); records when and by whom."""
    with ctx.uow() as uow:
        s = uow.session
        profile = _profile(s, teacher_id)
        if not _may_edit(s, actor, teacher_id):
            if _may_read(s, actor, profile):
                raise NotAllowed("Справку изменяют сам педагог и его тьютор")
            raise NotAllowed("Справка педагога вне вашей зоны доступа")
        if not isinstance(info, dict):
            raise FormRejected([FieldProblem("/info", "Справка — JSON-объект")])
        record = card_info(s, teacher_id)
        whole = {**info, **{k: record[k] for k in FROM_RECORD}}
        problems = [FieldProblem(e.pointer, e.message) for e in ctx.forms.validate(FORM, {"info": whole})
                    if e.pointer == "/info" or e.pointer.startswith("/info/")]
        if problems:
            raise FormRejected(problems)
        profile.info = {k: v for k, v in info.items() if k not in FROM_RECORD}
        profile.updated_at, profile.updated_by_id = ctx.clock(), actor.user_id
        uow.commit()
        return _view(s, profile, True)


def _profile(s, teacher_id: int) -> TeacherProfile:
    profile = s.get(TeacherProfile, teacher_id)
    if profile is None:
        raise NotFound("Педагог не найден")
    return profile


def _may_edit(s, actor: Actor, teacher_id: int) -> bool:
    """The teacher, or the tutor of any of their routes."""
    return actor.user_id == teacher_id or s.scalar(
        sa.select(Route.id).where(Route.teacher_id == teacher_id, Route.tutor_id == actor.user_id).limit(1)) is not None


def _may_read(s, actor: Actor, profile: TeacherProfile) -> bool:
    """An admin, the CNPPM head of the teacher's centre, whoever may see one of their routes."""
    if actor.is_admin:
        return True
    centre_id = s.scalar(sa.select(OrgUnit.parent_id).where(OrgUnit.id == profile.school_id))
    if centre_id is not None and actor.has("cnppm_head", centre_id):
        return True
    return any(may_view_route(actor, facts(r)) for r in s.scalars(
        sa.select(Route).where(Route.teacher_id == profile.user_id)))


def _view(s, profile: TeacherProfile, can_edit: bool) -> dict[str, Any]:
    info = card_info(s, profile.user_id)
    editor = s.get(User, profile.updated_by_id) if profile.updated_by_id else None
    return {"teacher": {"id": profile.user_id, "name": info["full_name"]},
            "school": {"id": profile.school_id, "name": info["school"]}, "info": info,
            "updated_at": profile.updated_at.isoformat() if profile.updated_at else None,
            "updated_by": {"id": editor.id, "name": editor.full_name} if editor else None, "can_edit": can_edit}
