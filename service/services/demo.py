"""Demo data: a region, a centre, two schools, a person for every role, and routes at
different stages, driven through the same services the API uses."""

from __future__ import annotations

import copy
from datetime import date

import sqlalchemy as sa

from service import demo_sheets
from service.db.models import Route, Task, User
from service.domain.errors import FormRejected
from service.domain.states import TaskState
from service.samples import VALID
from service.services import accounts, deployments, documents, opening, people, pep, profiles, routes, views
from service.services.context import ServiceContext

PASSWORD = "iom-demo-2026"


def _teacher_info(login: str, position: str) -> dict:
    """The demo teacher's own information sheet (service/demo_sheets.py)."""
    info = demo_sheets.sheet(login)
    info["position"] = position
    return info


def setup_people(ctx: ServiceContext, *, password_hash: str | None = None) -> dict[str, int]:
    """The demo organisation and people; returns login → user id. Everyone has the published demo
    password, hashed once (a deliberately slow hash, a tenth of a second each), or `password_hash`
    (tests give a cheap one: they log in hundreds of times)."""
    demo_hash = password_hash or accounts.hash_password(PASSWORD)
    with ctx.uow() as uow:
        s = uow.session
        if s.scalar(sa.select(User.id).where(User.login == "admin")):
            raise FormRejected([], "Демо-данные уже загружены")
        region = people.add_unit(s, "region", "Энская область")
        centre = people.add_unit(s, "centre", "ЦНППМ «Учитель будущего» Энской области", region)
        gym = people.add_unit(s, "school", "МБОУ «Гимназия № 4» г. Энска", centre)
        sch = people.add_unit(s, "school", "МБОУ «СОШ № 12 им. А. С. Пушкина» г. Энска", centre)
        ids = {}
        for login, name, grants in [
            ("admin", "Администратор Системы", [("admin", None)]),
            ("auditor", "Ревизорова Анна Сергеевна", [("auditor", region.id)]),
            ("head_cnppm", "Руководов Пётр Ильич", [("cnppm_head", centre.id)]),
            ("head_gym", "Директорова Елена Викторовна", [("school_head", gym.id)]),
            ("head_sch", "Школьный Игорь Павлович", [("school_head", sch.id)]),
            ("deputy_gym", "Завучева Ольга Николаевна", [("deputy_head", gym.id)]),
            ("tutor1", "Тьюторова Светлана Андреевна", [("tutor", centre.id)]),
            ("tutor2", "Наставников Алексей Юрьевич", [("tutor", centre.id)]),
            ("methodist", "Методистова Ирина Львовна", [("methodist", region.id)]),
        ]:
            ids[login] = people.add_user(s, login, name, PASSWORD, grants, password_hash=demo_hash).id
        for login, name, school, position in [
            ("teacher1", "Иванова Мария Петровна", gym, "учитель математики"),
            ("teacher2", "Петров Николай «Ник» Сергеевич", gym, "учитель физики"),
            ("teacher3", "Сидорова Анна-Мария Олеговна", sch, "учитель русского языка & литературы"),
            ("teacher4", "Кузнецов Дмитрий Александрович", sch, "учитель информатики"),
        ]:
            ids[login] = people.add_teacher(s, login, name, PASSWORD, school, _teacher_info(login, position), position,
                                            password_hash=demo_hash).id
        uow.commit()
        return ids


def complete_as_assignee(ctx: ServiceContext, route_id: int, name: str, data: dict) -> None:
    """Complete the route's ready task `name` as its assignee (signing with the demo password)."""
    with ctx.uow() as uow:
        task_id, assignee = uow.session.execute(
            sa.select(Task.id, Task.assignee_id).where(Task.route_id == route_id, Task.name == name,
                                                       Task.state == TaskState.READY)).one()
    who = accounts.load_actor(ctx, assignee)
    view = views.task_view(ctx, who, task_id)
    signature = None
    if view["signs"] and documents.signature_needed(view["signs"]["kind"], data):
        signature = {"password": PASSWORD, "document_sha256": view["signs"]["document"]["content_sha256"]}
    routes.complete_task(ctx, who, task_id, copy.deepcopy(data), signature)


def _draft(ctx: ServiceContext, route_id: int, teacher: str) -> dict:
    """The tutor's draft: the sheet as the draft prefills it, and the teacher's own plan."""
    with ctx.uow() as uow:
        info = profiles.card_info(uow.session, uow.session.get(Route, route_id).teacher_id)
    return demo_sheets.draft(teacher, info)


def _plan_agreed(ctx: ServiceContext, route_id: int, teacher: str) -> None:
    complete_as_assignee(ctx, route_id, "draft", _draft(ctx, route_id, teacher))
    complete_as_assignee(ctx, route_id, "plan_signatures_methodist", VALID["sign"])
    complete_as_assignee(ctx, route_id, "plan_signatures_teacher", VALID["sign"])


def _approved(ctx: ServiceContext, route_id: int, teacher: str) -> None:
    _plan_agreed(ctx, route_id, teacher)
    complete_as_assignee(ctx, route_id, "agreement", VALID["review"])
    complete_as_assignee(ctx, route_id, "approval", {"decision": "accept", "comment": "Утверждаю"})


def load(ctx: ServiceContext) -> list[tuple[str, str, str]]:
    """Create everything; returns (login, password, role description) for each demo user."""
    deployments.deploy(ctx, deployments.read_workflow_files())
    documents.deploy_templates(ctx, documents.read_template_files())
    ids = setup_people(ctx)
    pep.record_acceptances(ctx, ids.values())  # the demo people accepted the Положение о ПЭП
    head = accounts.load_actor(ctx, ids["head_cnppm"])

    def new(teacher: str, tutor: str) -> int:
        return routes.create_route(ctx, head, routes.NewRoute(ids[teacher], ids[tutor], ids["methodist"]))

    # One order assigns the tutor to the first two teachers; the others were opened one at a time.
    period = demo_sheets.PERIOD
    batch = opening.open_batch(ctx, head, opening.Batch(
        [opening.Assignment(ids["teacher1"], ids["tutor1"]), opening.Assignment(ids["teacher2"], ids["tutor1"])],
        ids["methodist"], date.fromisoformat(period["start"]), date.fromisoformat(period["end"])))
    r2 = batch["routes"][1]["id"]  # the first waits for the tutor's draft
    _plan_agreed(ctx, r2, "teacher2")  # waits for the CNPPM head's agreement
    r3 = new("teacher3", "tutor2")
    _approved(ctx, r3, "teacher3")
    complete_as_assignee(ctx, r3, "implementation", {"next": "correction"})
    complete_as_assignee(ctx, r3, "correction", demo_sheets.CORRECTIONS["teacher3"])  # waits for three signatures
    r4 = new("teacher4", "tutor2")
    _approved(ctx, r4, "teacher4")
    complete_as_assignee(ctx, r4, "implementation", {"next": "conclude"})
    complete_as_assignee(ctx, r4, "final_results", demo_sheets.FINAL_RESULTS["teacher4"])  # the methodist's turn
    return [
        ("admin", PASSWORD, "администратор"), ("auditor", PASSWORD, "аудитор"),
        ("head_cnppm", PASSWORD, "руководитель ЦНППМ"), ("head_gym", PASSWORD, "руководитель гимназии № 4"),
        ("head_sch", PASSWORD, "руководитель СОШ № 12"), ("deputy_gym", PASSWORD, "заместитель руководителя"),
        ("tutor1", PASSWORD, "тьютор"), ("tutor2", PASSWORD, "тьютор"), ("methodist", PASSWORD, "методист"),
        ("teacher1", PASSWORD, "педагог (маршрут: составление)"),
        ("teacher2", PASSWORD, "педагог (маршрут: согласование)"),
        ("teacher3", PASSWORD, "педагог (маршрут: корректировка на подписи)"),
        ("teacher4", PASSWORD, "педагог (маршрут: подведение итогов)"),
    ]
