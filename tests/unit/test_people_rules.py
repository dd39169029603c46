"""The rules of people administration, without a database: who a CNPPM head reaches and may change,
what a new password must be, what a create request accepts."""

from types import SimpleNamespace

import pytest

from service.contracts import parse
from service.contracts.people import PersonCreateRequest
from service.domain.errors import FormRejected
from service.services.passwords import password_problems
from service.services.people_admin import Reach, _manageable, _visible

CENTRE, SCHOOL, OTHER = 100, 10, 200
HEAD = Reach(frozenset({CENTRE, SCHOOL}))


def person(unit=None, *grants):
    return SimpleNamespace(org_unit_id=unit), [SimpleNamespace(role=r, org_unit_id=u) for r, u in grants]


@pytest.mark.parametrize("unit, grants, visible, manageable", [
    (SCHOOL, [("teacher", SCHOOL)], True, True),
    (None, [("tutor", CENTRE)], True, True),
    (CENTRE, [], True, True),
    (None, [("methodist", 1)], False, False),
    (OTHER, [("teacher", OTHER)], False, False),
    (SCHOOL, [("teacher", SCHOOL), ("tutor", OTHER)], True, False),
    (None, [("cnppm_head", CENTRE)], True, False),
    (SCHOOL, [("teacher", SCHOOL), ("admin", None)], True, False),
    (OTHER, [("teacher", SCHOOL)], True, False),
])
def test_a_head_sees_people_tied_to_the_centre_and_changes_only_those_wholly_inside(unit, grants, visible,
                                                                                     manageable):
    user, held = person(unit, *grants)
    assert _visible(HEAD, user, held) is visible
    assert _manageable(HEAD, user, held) is manageable


def test_an_admin_reaches_everyone():
    user, held = person(None, ("methodist", 1), ("admin", None))
    assert _visible(Reach(None), user, held) and _manageable(Reach(None), user, held)


@pytest.mark.parametrize("password, problem", [
    ("", "не короче 10"), ("123456789", "не короче 10"), ("ivanov.ivan", "с логином"), ("IVANOV.IVAN", "с логином"),
    ("ivanov.ivan1", None), ("пароль-из-слов", None),
])
def test_a_new_password_is_at_least_ten_characters_and_not_the_login(password, problem):
    messages = [p.message for p in password_problems("ivanov.ivan", password)]
    assert messages == [] if problem is None else problem in messages[0]


def test_the_confirmation_must_match():
    assert [p.pointer for p in password_problems("x", "длинный-пароль", "другой")] == ["/confirm"]


def test_logins_and_emails_are_trimmed_and_lower_cased():
    asked = parse(PersonCreateRequest, {"login": " Ivanov ", "full_name": "Иванов", "email": " I@Example.RU ",
                                        "org_unit_id": 1})
    assert (asked.login, asked.email, asked.credential, asked.roles) == ("ivanov", "i@example.ru", "temporary", [])


@pytest.mark.parametrize("field, value", [("login", "иванов"), ("login", "a"), ("email", "a@b"), ("email", "a b@c.ru"),
                                          ("full_name", " "), ("org_unit_id", 0), ("credential", "sms")])
def test_a_create_request_names_the_wrong_field(field, value):
    body = {"login": "ivanov", "full_name": "Иванов", "email": "i@example.ru", "org_unit_id": 1, field: value}
    with pytest.raises(FormRejected) as caught:
        parse(PersonCreateRequest, body)
    assert [p.pointer for p in caught.value.problems] == [f"/{field}"]
