"""`flask migration-preview` and `flask migrate-routes`: versions by id or hash prefix, the mapping
as old=new, a report and exit 1 when some route stayed, 2 on bad input."""

from __future__ import annotations

import pytest

from tests.support.migration_versions import deploy_variant, first_spec_id, to_agreement


@pytest.fixture
def two_routes(app, people, new_route):
    """A route at the draft and one at the agreement, both on the first version; the variant
    without the agreement deployed. Returns (a, b, at_draft, at_agreement)."""
    at_draft, at_agreement = new_route(), new_route("teacher2")
    to_agreement(people, at_agreement, "teacher2")
    return first_spec_id(app), deploy_variant(app, "no_agreement"), at_draft, at_agreement


def _hash(app, spec_id: int) -> str:
    from service.db.models import WorkflowSpec

    with app.extensions["iom"].sessions() as s:
        return s.get(WorkflowSpec, spec_id).content_hash


def test_the_preview_prints_counts_and_the_blocking_tasks(app, two_routes):
    a, b, _, at_agreement = two_routes
    result = app.test_cli_runner().invoke(args=["migration-preview", "--from", str(a), "--to", _hash(app, b)[:8]])
    assert result.exit_code == 0, result.output
    assert "маршрутов в работе 2; можно перевести 1, нельзя 1" in result.output
    assert "«Согласование» (agreement) — маршрутов: 1" in result.output
    assert f"маршрут {at_agreement}: " in result.output
    result = app.test_cli_runner().invoke(args=["migration-preview", "--from", str(a), "--to", str(b),
                                                "--map", "agreement=approval"])
    assert "можно перевести 2, нельзя 0" in result.output


def test_migrate_routes_reports_and_exits_1_when_a_route_stays(app, two_routes):
    a, b, at_draft, at_agreement = two_routes
    result = app.test_cli_runner().invoke(args=["migrate-routes", "--from", _hash(app, a)[:10], "--to", str(b),
                                                "--reason", "Новая схема"])
    assert result.exit_code == 1, result.output
    assert f"маршрут {at_draft}: переведён" in result.output
    assert f"маршрут {at_agreement}: не переведён — " in result.output
    assert "переведено 1, не переведено 1 из 2" in result.output
    result = app.test_cli_runner().invoke(args=["migrate-routes", "--from", str(a), "--to", str(b), "--stage",
                                                "agreement", "--map", "agreement=approval", "--reason", "Остальные"])
    assert result.exit_code == 0, result.output
    assert f"маршрут {at_agreement}: переведён" in result.output


@pytest.mark.parametrize("args, message", [
    (["--from", "1", "--to", "999", "--reason", "x"], "Версия схемы «999» не найдена"),
    (["--from", "1", "--to", "zz", "--reason", "x"], "не найдена"),
    (["--from", "1", "--to", "2", "--reason", "x", "--map", "agreement"], "ожидается старая_задача=задача_новой"),
    (["--from", "1", "--to", "2", "--reason", "   "], "Укажите причину вмешательства"),
    (["--from", "1", "--to", "2", "--reason", "x", "--stage", "Согласование"], "Этап — латиницей"),
    (["--from", "1", "--to", "1", "--reason", "x"], "маршруты уже на этой"),
    (["--from", "1", "--to", "2"], "--reason"),
])
def test_bad_input_exits_2_with_a_clear_message(app, two_routes, args, message):
    result = app.test_cli_runner().invoke(args=["migrate-routes", *args])
    assert result.exit_code == 2 and message in result.output, result.output
