"""A second centre with its own head, school, teacher, tutor and methodist: for checking that one
centre's people stay out of another centre head's reach."""

from __future__ import annotations

from service.samples import VALID
from service.services import people as people_service
from tests.support.app import CHEAP_DEMO_HASH


def add_second_centre(app) -> dict[str, int]:
    """Create it (logins head2, head_school2, teacher21, tutor21, methodist2) and register the
    logins in app.config["PEOPLE"]; returns their ids and the units' (centre2, school2)."""
    ctx = app.extensions["iom"]
    info = {k: v for k, v in VALID["draft"]["info"].items() if k not in ("full_name", "school")}
    with ctx.uow() as uow:
        s = uow.session
        region = people_service.add_unit(s, "region", "Другая область")
        centre = people_service.add_unit(s, "centre", "ЦНППМ Другой области", region)
        school = people_service.add_unit(s, "school", "МБОУ «Школа № 99»", centre)
        ids = {"centre2": centre.id, "school2": school.id}
        for login, name, grants in [("head2", "Чужаков Виктор Павлович", [("cnppm_head", centre.id)]),
                                    ("head_school2", "Директоров Олег Ильич", [("school_head", school.id)]),
                                    ("tutor21", "Тьюторов Иван Иванович", [("tutor", centre.id)]),
                                    ("methodist2", "Методистов Пётр Петрович", [("methodist", region.id)])]:
            ids[login] = people_service.add_user(s, login, name, "", grants, password_hash=CHEAP_DEMO_HASH).id
        ids["teacher21"] = people_service.add_teacher(s, "teacher21", "Иванова Ольга Дальняя", "", school, info,
                                                      "учитель химии", password_hash=CHEAP_DEMO_HASH).id
        uow.commit()
    app.config["PEOPLE"].update({k: v for k, v in ids.items() if k not in ("centre2", "school2")})
    return ids
