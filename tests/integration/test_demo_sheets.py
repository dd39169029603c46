"""The demo gives every teacher their own information sheet, subject and activities; the first two
routes are opened by one order; every demo route replays with its documents."""

from __future__ import annotations

import sqlalchemy as sa

from service import create_app
from service.db.migrate import upgrade
from service.db.models import Document, Route, TeacherProfile, User
from service.domain.access import OPERATOR
from service.services import audit_replay, demo


def test_each_demo_teacher_has_their_own_sheet_and_card(database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test"})
    ctx = app.extensions["iom"]
    upgrade(ctx.sessions.kw["bind"])
    try:
        demo.load(ctx)
        with ctx.uow() as uow:
            s = uow.session
            sheets = {p.user_id: p.info for p in s.scalars(sa.select(TeacherProfile))}
            assert len({p["education"] for p in sheets.values()}) == 4
            assert len({p["category"] for p in sheets.values()}) >= 3
            routes = s.scalars(sa.select(Route).order_by(Route.id)).all()
            for route in routes:
                name = s.get(User, route.teacher_id).full_name
                card = route.card
                assert card["info"]["full_name"] == name
                assert card["info"]["education"] == sheets[route.teacher_id]["education"]
                assert card["info"]["position"] == sheets[route.teacher_id]["position"]
            titles = {r.id: [a["title"] for a in r.card.get("activities", [])] for r in routes}
            assert any("физик" in t for t in titles[routes[1].id])
            assert any("литератур" in t for t in titles[routes[2].id])
            assert any("информатик" in t for t in titles[routes[3].id])
            assert routes[0].order_id is not None and routes[0].order_id == routes[1].order_id
            prikaz = s.scalar(sa.select(Document).where(Document.route_id == routes[0].id,
                                                        Document.kind == "prikaz_tutor"))
            assert [a["teacher"] for a in prikaz.data["assignments"]] == [
                "Иванова Мария Петровна", "Петров Николай «Ник» Сергеевич"]
            ids = [r.id for r in routes]
        for rid in ids:
            result = audit_replay.replay(ctx, OPERATOR, rid, documents=True)
            assert result["ok"] is True, (rid, result["divergence"])
    finally:
        ctx.sessions.kw["bind"].dispose()
