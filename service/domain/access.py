"""Who may do what: plain rules over plain facts, used by every entry point."""

from __future__ import annotations

from dataclasses import dataclass

from service.domain.errors import NotAllowed

ROLES = ("teacher", "tutor", "methodist", "cnppm_head", "school_head", "deputy_head", "auditor", "admin")
WORKFLOW_ROLES = frozenset({"teacher", "tutor", "methodist", "cnppm_head", "school_head"})
ROLE_TITLES = {
    "teacher": "педагог", "tutor": "тьютор", "methodist": "региональный методист",
    "cnppm_head": "руководитель ЦНППМ", "school_head": "руководитель ОО",
    "deputy_head": "заместитель руководителя ОО", "auditor": "аудитор", "admin": "администратор",
}


@dataclass(frozen=True)
class Actor:
    """The person making a request, with their role grants as (role, org unit id) pairs."""

    user_id: int
    full_name: str
    grants: frozenset[tuple[str, int | None]]

    @property
    def is_admin(self) -> bool:
        return any(role == "admin" for role, _ in self.grants)

    def has(self, role: str, unit_id: int | None = None) -> bool:
        return any(r == role and (unit_id is None or u == unit_id or u is None) for r, u in self.grants)


@dataclass(frozen=True)
class RouteFacts:
    """The people and places a route names."""

    teacher_id: int
    tutor_id: int
    methodist_id: int
    school_id: int
    centre_id: int


def completion_mode(actor: Actor, assignee_id: int, assignee_name: str, delegated: bool = False) -> str:
    """'self' when the actor is the assignee; 'delegated' when a delegation in force lets them act
    for the assignee (service/services/delegated.py decides); 'on_behalf' for an admin; otherwise refused."""
    if actor.user_id == assignee_id:
        return "self"
    if delegated:
        return "delegated"
    if actor.is_admin:
        return "on_behalf"
    raise NotAllowed(f"Задача назначена другому участнику (исполнитель: {assignee_name}). "
                     "Выполнить её может только исполнитель задачи")


def may_view_route(actor: Actor, route: RouteFacts) -> bool:
    if actor.is_admin or actor.has("auditor"):
        return True
    if actor.user_id in (route.teacher_id, route.tutor_id, route.methodist_id):
        return True
    return (actor.has("cnppm_head", route.centre_id) or actor.has("school_head", route.school_id)
            or actor.has("deputy_head", route.school_id))


def require_view_route(actor: Actor, route: RouteFacts) -> None:
    if not may_view_route(actor, route):
        raise NotAllowed("Маршрут вне вашей зоны доступа")


def require_create_route(actor: Actor, centre_id: int | None) -> None:
    """Routes are opened by the CNPPM head of the centre (who assigns tutors), or an admin;
    with `centre_id` None: by the head of some centre."""
    if not (actor.is_admin or actor.has("cnppm_head", centre_id)):
        raise NotAllowed("Создавать маршруты может руководитель ЦНППМ или администратор")


def may_audit(actor: Actor) -> bool:
    """Verification, replay, as-of and exports of a route's history, and the devices people
    signed from: auditors and admins."""
    return actor.is_admin or actor.has("auditor")


def require_auditor(actor: Actor) -> None:
    if not may_audit(actor):
        raise NotAllowed("Проверка и повтор истории доступны аудитору")


# The command line acts with the rights of whoever runs it on the server: an auditor's reading.
OPERATOR = Actor(0, "оператор сервера", frozenset({("auditor", None)}))


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise NotAllowed("Действие доступно только администратору")


def units_with(actor: Actor, role: str) -> set[int]:
    """The org units where the actor holds `role` (a grant without a unit is not counted)."""
    return {u for r, u in actor.grants if r == role and u is not None}


def centres_headed(actor: Actor) -> set[int]:
    """The centres whose CNPPM head the actor is: the reach of their people and route pages."""
    return units_with(actor, "cnppm_head")
