"""A route's card on the database (migration 0020): on SQLite the upgrade packs every existing card
(zlib; PostgreSQL keeps its JSON, which TOAST compresses) and the downgrade unpacks them; a card an
old process wrote as JSON text still reads; the statistics facts, derived, are emptied and rebuilt.
SQLite and PostgreSQL (`database_url`)."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.db.migrate import upgrade
from service.db.models import Route
from tests.integration.test_state_storage import _route_with_state

CARD = {"info": {"ФИО": "Иванова «М» & П"}, "activities": [{"title": "Открытый урок", "status": "выполнено"}] * 20}


def _raw_card(engine, route_id: int):
    with engine.connect() as c:
        return c.execute(sa.text("SELECT card FROM routes WHERE id = :id"), {"id": route_id}).scalar()


def _downgrade(engine, revision: str) -> None:
    from alembic import command

    from service.db.migrate import alembic_config

    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def test_the_upgrade_packs_cards_on_sqlite_and_the_downgrade_unpacks_them(database_url):
    engine = sa.create_engine(database_url)
    upgrade(engine, "0019")
    with engine.begin() as c:
        for rid in (1, 2):
            _route_with_state(c, rid, "{}")
            c.execute(sa.text("UPDATE routes SET card = :card WHERE id = :id"),
                      {"card": json.dumps({**CARD, "no": rid}, ensure_ascii=False), "id": rid})
        c.execute(sa.text("INSERT INTO stats_state (key, value, number) VALUES ('epoch', NULL, 4)"))
    text_size = len(json.dumps({**CARD, "no": 1}, ensure_ascii=False).encode())
    upgrade(engine, "0020")
    stored = _raw_card(engine, 1)
    if engine.dialect.name == "sqlite":
        assert bytes(stored)[:1] == b"x" and len(bytes(stored)) < text_size / 3
    with Session(engine) as s:
        assert [s.get(Route, rid).card for rid in (1, 2)] == [{**CARD, "no": 1}, {**CARD, "no": 2}]
        s.get(Route, 2).card = {"changed": "да"}
        s.commit()
    with engine.connect() as c:  # the facts are to be rebuilt: processes holding them load anew
        assert c.scalar(sa.text("SELECT number FROM stats_state WHERE key = 'epoch'")) == 5
    _downgrade(engine, "0019")
    stored = _raw_card(engine, 2)
    assert (json.loads(stored) if isinstance(stored, str) else stored) == {"changed": "да"}
    upgrade(engine)
    with Session(engine) as s:
        assert s.get(Route, 1).card == {**CARD, "no": 1}
    engine.dispose()


def test_a_card_left_as_text_reads_as_it_was(database_url):
    """A card an old process wrote during a rolling upgrade: JSON text in the packed column."""
    engine = sa.create_engine(database_url)
    upgrade(engine, "0019")
    with engine.begin() as c:
        _route_with_state(c, 1, "{}")
    upgrade(engine)
    with engine.begin() as c:
        c.execute(sa.text("UPDATE routes SET card = :card"), {"card": json.dumps(CARD, ensure_ascii=False)})
    with Session(engine) as s:
        assert s.get(Route, 1).card == CARD
    engine.dispose()
