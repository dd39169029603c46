"""Who may do what."""

import pytest

from service.domain.access import (
    Actor,
    RouteFacts,
    completion_mode,
    may_view_route,
    require_create_route,
)
from service.domain.errors import NotAllowed

ROUTE = RouteFacts(teacher_id=1, tutor_id=2, methodist_id=3, school_id=10, centre_id=100)


def actor(user_id=50, *grants):
    return Actor(user_id, "Кто-то", frozenset(grants))


def test_the_assignee_completes_their_own_task():
    assert completion_mode(actor(2, ("tutor", 100)), 2, "Тьютор") == "self"


def test_an_admin_completes_on_behalf_of_the_assignee():
    assert completion_mode(actor(9, ("admin", None)), 2, "Тьютор") == "on_behalf"


def test_anyone_else_is_refused_with_the_assignee_named():
    with pytest.raises(NotAllowed, match="Тьюторова"):
        completion_mode(actor(3, ("methodist", None), ("cnppm_head", 100)), 2, "Тьюторова")


@pytest.mark.parametrize(("who", "sees"), [
    (actor(1, ("teacher", 10)), True),
    (actor(2, ("tutor", 100)), True),
    (actor(3, ("methodist", None)), True),
    (actor(60, ("school_head", 10)), True),
    (actor(61, ("deputy_head", 10)), True),
    (actor(62, ("cnppm_head", 100)), True),
    (actor(63, ("auditor", 1)), True),
    (actor(64, ("admin", None)), True),
    (actor(65, ("school_head", 11)), False),
    (actor(66, ("cnppm_head", 101)), False),
    (actor(67, ("teacher", 10)), False),
    (actor(68, ("tutor", 100)), False),
])
def test_a_route_is_visible_to_its_people_and_its_organisations(who, sees):
    assert may_view_route(who, ROUTE) is sees


def test_routes_are_opened_by_the_centre_head_or_an_admin():
    require_create_route(actor(62, ("cnppm_head", 100)), 100)
    require_create_route(actor(64, ("admin", None)), 100)
    with pytest.raises(NotAllowed):
        require_create_route(actor(66, ("cnppm_head", 101)), 100)
    with pytest.raises(NotAllowed):
        require_create_route(actor(2, ("tutor", 100)), 100)
