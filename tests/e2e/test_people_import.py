"""Bulk import of people over the API and the page: the preview writes nothing, an import with errors
is refused whole, the valid rows can be imported alone, a re-import changes nothing, and a CNPPM head
imports only into their own centre's schools."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from service.db.models import Event, OrgUnit, RoleGrant, TeacherProfile, User
from service.domain.states import EventKind
from service.services import people
from service.services.people_import import UNUSABLE_PASSWORD_HASH
from tests.support.app import CHEAP_DEMO_HASH, FakeClock, Person, ready_app
from tests.support.people_files import GYM, SCH, csv_bytes, teachers, xlsx, zip_bomb_xlsx

URL = "/api/imports/people"
OTHER_SCHOOL = "МБОУ «Лицей № 1» г. Другого"


@pytest.fixture
def app(database_url, tmp_path):
    yield from ready_app(database_url, CLOCK=FakeClock(), IMPORT_STAGING_DIR=str(tmp_path / "staged"))


@pytest.fixture
def other_centre(app):
    """A second centre with a school and a head of its own (login head_other); its id."""
    ctx = app.extensions["iom"]
    with ctx.uow() as uow:
        s = uow.session
        region = s.scalar(sa.select(OrgUnit).where(OrgUnit.kind == "region"))
        centre = people.add_unit(s, "centre", "ЦНППМ «Другой центр»", region)
        people.add_unit(s, "school", OTHER_SCHOOL, centre)
        user = people.add_user(s, "head_other", "Другов Олег Ильич", "", [("cnppm_head", centre.id)],
                               password_hash=CHEAP_DEMO_HASH)
        uow.commit()
        app.config["PEOPLE"]["head_other"] = user.id
        return centre.id


def _post(person: Person, data: bytes, mode: str = "preview", name: str = "people.xlsx", query: str = ""):
    return person.client.post(f"{URL}?mode={mode}{query}", data={"file": (io.BytesIO(data), name)},
                              content_type="multipart/form-data")


def _state(app) -> dict:
    """What an import could change: people, grants, profiles and events."""
    with app.extensions["iom"].uow() as uow:
        s = uow.session
        return {
            "users": s.execute(sa.select(User.id, User.full_name, User.position, User.org_unit_id, User.email,
                                         User.login).order_by(User.id)).all(),
            "grants": s.execute(sa.select(RoleGrant.user_id, RoleGrant.role, RoleGrant.org_unit_id)
                                .order_by(RoleGrant.id)).all(),
            "profiles": s.execute(sa.select(TeacherProfile.user_id, TeacherProfile.school_id)
                                  .order_by(TeacherProfile.user_id)).all(),
            "events": s.scalar(sa.select(sa.func.count()).select_from(Event)),
        }


BAD = [["Плохой Адрес", "ivanov@", GYM, "учитель"], ["Нет Школы", "noschool@import.example", "Школа № 999", ""]]


def test_preview_reports_rows_and_errors_and_writes_nothing(app, people):
    before = _state(app)
    r = _post(people("admin"), xlsx(teachers(10) + BAD))
    assert r.status_code == 200, r.get_json()
    report = r.get_json()
    assert report["counts"] == {"rows": 12, "new": 10, "update": 0, "unchanged": 0, "errors": 2}
    assert report["written"] is False
    messages = [p["message"] for p in report["problems"]]
    assert messages[0] == "Строка 12, столбец «E-mail»: «ivanov@» — не адрес электронной почты"
    assert messages[1].startswith("Строка 13, столбец «Организация»: «Школа № 999» не найдена")
    assert [row["action"] for row in report["rows"][:3]] == ["error", "error", "new"]
    assert _state(app) == before


def test_an_import_with_errors_is_refused_whole_with_the_rows_named(app, people):
    before = _state(app)
    r = _post(people("admin"), xlsx(teachers(10) + BAD), "import")
    assert r.status_code == 422
    body = r.get_json()
    assert "2 строк с ошибками" in body["error"]
    assert {p["pointer"] for p in body["problems"]} == {"/rows/12/email", "/rows/13/organisation"}
    assert _state(app) == before


def test_import_valid_imports_only_the_rows_without_errors(app, people):
    r = _post(people("admin"), xlsx(teachers(10) + BAD), "import_valid")
    assert r.status_code == 200, r.get_json()
    report = r.get_json()
    assert report["written"] is True and len(report["created_user_ids"]) == 10
    with app.extensions["iom"].uow() as uow:
        s = uow.session
        made = s.scalars(sa.select(User).where(User.email.like("%@import.example"))).all()
        assert len(made) == 10
        first = next(u for u in made if u.email == "teacher00000@import.example")
        assert first.login == first.email and first.must_change_password
        assert first.password_hash == UNUSABLE_PASSWORD_HASH
        gym = s.scalar(sa.select(OrgUnit.id).where(OrgUnit.name == GYM))
        assert first.org_unit_id == gym
        assert s.scalar(sa.select(RoleGrant.org_unit_id).where(RoleGrant.user_id == first.id,
                                                               RoleGrant.role == "teacher")) == gym
        profile = s.get(TeacherProfile, first.id)
        assert profile.school_id == gym and profile.info == {"position": "учитель математики"}
        events = s.scalars(sa.select(Event).where(Event.kind == EventKind.PEOPLE_IMPORTED)).all()
        assert len(events) == 1 and events[0].route_id is None
        assert events[0].data["counts"]["errors"] == 2
        assert sorted(events[0].data["created_user_ids"]) == sorted(u.id for u in made)
    # an imported person has no usable password
    for password in ("!", "unusable-imported", UNUSABLE_PASSWORD_HASH):
        r = app.test_client().post("/api/login", json={"login": "teacher00000@import.example", "password": password})
        assert r.status_code == 401 and r.get_json()["error"] == "Неверный логин или пароль"


def test_reimporting_the_same_file_changes_nothing(app, people):
    data = xlsx(teachers(30))
    assert _post(people("admin"), data, "import").status_code == 200
    before = _state(app)
    r = _post(people("admin"), data, "import")
    assert r.status_code == 200
    report = r.get_json()
    assert report["counts"] == {"rows": 30, "new": 0, "update": 0, "unchanged": 30, "errors": 0}
    assert report["written"] is False and report["created_user_ids"] == []
    assert _state(app) == before


def test_a_changed_row_updates_only_that_person_and_moves_the_school(app, people):
    rows = teachers(4)
    _post(people("admin"), xlsx(rows), "import")
    rows[0] = [rows[0][0], rows[0][1].upper(), SCH, "учитель геометрии"]  # the key ignores case
    r = _post(people("admin"), csv_bytes(rows, bom=True), "import", name="people.csv")
    report = r.get_json()
    assert report["counts"] == {"rows": 4, "new": 0, "update": 1, "unchanged": 3, "errors": 0}
    assert report["rows"][0]["changes"] == ["должность", "организация", "роль"]
    with app.extensions["iom"].uow() as uow:
        s = uow.session
        sch = s.scalar(sa.select(OrgUnit.id).where(OrgUnit.name == SCH))
        user = s.scalar(sa.select(User).where(User.email == "teacher00000@import.example"))
        assert (user.org_unit_id, user.position) == (sch, "учитель геометрии")
        assert s.get(TeacherProfile, user.id).school_id == sch
        assert s.execute(sa.select(RoleGrant.role, RoleGrant.org_unit_id)
                         .where(RoleGrant.user_id == user.id)).all() == [("teacher", sch)]


def test_a_login_taken_by_someone_else_is_a_row_error(app, people):
    r = _post(people("admin"), csv_bytes([["Новая Анна", "anna@import.example", GYM, "", "teacher1"]],
                                         header=["ФИО", "E-mail", "Организация", "Должность", "Логин"]),
              name="p.csv")
    assert r.get_json()["problems"][0]["message"] == \
        "Строка 2, столбец «Логин»: логин «teacher1» уже занят другим пользователем"


def test_staff_roles_are_scoped_to_their_unit(app, people):
    header = ["Роль", "ФИО", "E-mail", "Организация"]
    rows = [["тьютор", "Новый Тьютор", "tutor@import.example", "ЦНППМ «Учитель будущего» Энской области"],
            ["Заместитель руководителя ОО", "Новый Зам", "deputy@import.example", GYM],
            ["методист", "Не Методист", "m@import.example", GYM]]
    r = _post(people("admin"), xlsx(rows, header=header), "import_valid")
    report = r.get_json()
    assert report["counts"]["new"] == 2 and report["counts"]["errors"] == 1
    assert "неизвестная роль" in report["problems"][0]["message"]
    with app.extensions["iom"].uow() as uow:
        grants = dict(uow.session.execute(sa.select(User.email, RoleGrant.role).join(RoleGrant,
                                                                                      RoleGrant.user_id == User.id)
                                          .where(User.email.like("%@import.example"))).all())
    assert grants == {"tutor@import.example": "tutor", "deputy@import.example": "deputy_head"}


def test_a_cnppm_head_imports_into_their_centre_only(app, people, other_centre):
    head = people("head_cnppm")
    assert _post(head, xlsx(teachers(3)), "import").status_code == 200
    # a school of the other centre is not found for this head (and is not named)
    r = _post(head, xlsx([["Чужой Учитель", "x@import.example", OTHER_SCHOOL, ""]]))
    assert "не найдена среди действующих школ выбранного ЦНППМ" in r.get_json()["problems"][0]["message"]
    # the other centre's head may not import into this centre, and learns nothing of its schools
    mine = app.config["PEOPLE"]
    with app.extensions["iom"].uow() as uow:
        centre = uow.session.scalar(sa.select(RoleGrant.org_unit_id).where(RoleGrant.user_id == mine["head_cnppm"]))
    before = _state(app)
    r = _post(people("head_other"), xlsx(teachers(3)), "import", query=f"&centre={centre}")
    assert r.status_code == 403
    assert GYM not in r.get_data(as_text=True) and "Гимназия" not in r.get_data(as_text=True)
    r = _post(people("head_other"), xlsx(teachers(3)), "import")
    body = r.get_json()  # the file's own school names come back "not found"; nothing of this centre is named
    assert r.status_code == 422 and "Учитель будущего" not in r.get_data(as_text=True)
    assert {p["pointer"] for p in body["problems"]} >= {"/rows/2/organisation", "/rows/3/organisation"}
    assert all("не найдена среди действующих школ выбранного ЦНППМ" in p["message"]
               for p in body["problems"] if p["pointer"].endswith("/organisation"))
    # …nor take over this centre's people by their e-mail
    r = _post(people("head_other"), xlsx([teachers(1)[0][:2] + [OTHER_SCHOOL, ""]]))
    assert r.get_json()["problems"][0]["message"].endswith("уже принадлежит пользователю вне вашего ЦНППМ")
    assert _state(app) == before


@pytest.mark.parametrize("login", ["teacher1", "tutor1", "methodist", "auditor", "head_gym"])
def test_people_without_the_right_cannot_import(app, people, login):
    r = _post(people(login), xlsx(teachers(2)), "import")
    assert r.status_code == 403
    assert "Импорт людей доступен администратору и руководителю ЦНППМ" in r.get_json()["error"]


@pytest.mark.parametrize("data, name, text", [
    (b"", "a.csv", "Приложите файл"),
    (b"%PDF-1.4 not a table", "a.xlsx", "не является книгой .xlsx"),
    (zip_bomb_xlsx(1100), "bomb.xlsx", "распаковывается в 1100,0 МБ"),
    (xlsx([["a", "b@c.ru", GYM]], header=["ФИО", "Почта", "Организация"]), "a.xlsx", "В файле нет столбца «E-mail»"),
])
def test_a_bad_file_is_refused_with_a_clear_message(app, people, data, name, text):
    before = _state(app)
    r = _post(people("admin"), data, "import", name=name)
    assert r.status_code in (400, 422)
    assert text in r.get_json()["error"] or any(text in p["message"] for p in r.get_json().get("problems", []))
    assert _state(app) == before


@pytest.mark.parametrize("query, pointer", [("&centre=0", "?centre"), ("&centre=99999999999", "?centre"),
                                            ("&centre=abc", "?centre"), ("&mode=everything", "?mode")])
def test_bad_query_arguments_are_named(app, people, query, pointer):
    r = people("admin").client.post(f"{URL}?x=1{query}", data={"file": (io.BytesIO(xlsx(teachers(1))), "a.xlsx")},
                                    content_type="multipart/form-data")
    assert r.status_code == 422
    assert [p["pointer"] for p in r.get_json()["problems"]] == [pointer]


def test_the_file_may_be_the_raw_body(app, people):
    r = people("admin").client.post(f"{URL}?mode=import&file_name=staff.csv", data=csv_bytes(teachers(2)),
                                    content_type="application/octet-stream")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["file_name"] == "staff.csv" and len(r.get_json()["created_user_ids"]) == 2


def test_a_file_over_two_megabytes_is_refused_before_reading(app, people):
    before = _state(app)
    r = _post(people("admin"), b"x" * (2 * 1024 * 1024 + 1), "import", name="big.csv")
    assert r.status_code == 413
    assert _state(app) == before


def test_an_unknown_centre_is_not_found(app, people):
    r = _post(people("admin"), xlsx(teachers(1)), query="&centre=424242")
    assert r.status_code == 404 and r.get_json()["error"] == "Нет такого ЦНППМ"


def test_nul_in_a_cell_is_a_row_error(app, people):
    r = _post(people("admin"), csv_bytes([["Имя\x00Фамилия", "nul@import.example", GYM, ""]]), name="a.csv")
    assert r.get_json()["problems"][0]["message"] == \
        "Строка 2, столбец «ФИО»: недопустимые управляющие символы (например, NUL)"


def test_anonymous_is_refused(app):
    r = app.test_client().post(URL, data=xlsx(teachers(1)))
    assert r.status_code == 401


# --- the page ------------------------------------------------------------------------------------
def _page_upload(person: Person, data: bytes, name: str = "people.xlsx"):
    return person.client.post("/people/import", data={"file": (io.BytesIO(data), name), "centre": "",
                                                      "csrf_token": _csrf(person)},
                              content_type="multipart/form-data")


def _csrf(person: Person) -> str:
    return person.client.environ_base["HTTP_X_CSRFTOKEN"]


def test_the_page_previews_then_imports_the_kept_file_without_asking_again(app, people, tmp_path):
    admin = people("admin")
    assert "Проверить файл" in admin.get("/people/import").get_data(as_text=True)
    r = _page_upload(admin, xlsx(teachers(5) + BAD[:1]))
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Строка 7, столбец «E-mail»: «ivanov@» — не адрес электронной почты" in html
    staged = list((tmp_path / "staged").iterdir())
    assert len(staged) == 1 and staged[0].name.startswith(f"{admin.id}-")
    sha = staged[0].name.split("-", 1)[1]
    form = {"csrf_token": _csrf(admin), "sha256": sha, "centre": "", "file_name": "people.xlsx"}
    r = admin.client.post("/people/import/run", data={**form, "mode": "import"})
    assert r.status_code == 422 and "строк с ошибками" in r.get_data(as_text=True)
    r = admin.client.post("/people/import/run", data={**form, "mode": "import_valid"})
    assert r.status_code == 200 and "создано 5" in r.get_data(as_text=True)
    assert list((tmp_path / "staged").iterdir()) == []
    r = admin.client.post("/people/import/run", data={**form, "mode": "import_valid"})
    assert r.status_code == 422 and "загрузите его снова" in r.get_data(as_text=True)


def test_the_sample_file_imports_cleanly_after_a_preview(app, people):
    r = people("admin").get("/people/import/sample.xlsx")
    assert r.status_code == 200 and r.data.startswith(b"PK")
    report = _post(people("admin"), r.data).get_json()
    assert report["counts"] == {"rows": 2, "new": 2, "update": 0, "unchanged": 0, "errors": 0}


def test_a_teacher_cannot_open_the_page(app, people):
    assert people("teacher1").get("/people/import").status_code == 403
