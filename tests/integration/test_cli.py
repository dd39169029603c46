"""The CLI on a real database: create the schema, deploy, load the demo; bad BPMN is refused."""

from __future__ import annotations

import sqlalchemy as sa

from service import create_app
from service.services.deployments import WORKFLOWS_DIR


def _runner(database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t"})
    return app, app.test_cli_runner()


def test_init_deploy_and_demo_from_an_empty_database(database_url):
    app, cli = _runner(database_url)
    assert cli.invoke(args=["init-db"]).exit_code == 0
    tables = set(sa.inspect(app.extensions["iom"].sessions.kw["bind"]).get_table_names())
    assert {"routes", "route_states", "tasks", "events", "users", "workflow_specs"} <= tables
    first = cli.invoke(args=["deploy"])
    assert first.exit_code == 0 and "Развёрнута новая версия" in first.output
    again = cli.invoke(args=["deploy"])
    assert again.exit_code == 0 and "уже развёрнута" in again.output
    demo = cli.invoke(args=["demo"])
    assert demo.exit_code == 0 and "teacher3 / iom-demo-2026" in demo.output
    with app.extensions["iom"].sessions() as s:
        stages = sorted(s.scalars(sa.text("SELECT stage FROM routes")).all())
    assert stages == ["agreement", "conclusion", "draft", "implementation"]
    assert cli.invoke(args=["demo"]).exit_code != 0  # loading twice is refused, not duplicated


def test_a_bpmn_with_a_malicious_condition_is_refused_by_deploy(database_url, tmp_path):
    app, cli = _runner(database_url)
    cli.invoke(args=["init-db"])
    text = (WORKFLOWS_DIR / "iom_route.bpmn").read_text(encoding="utf-8")
    evil = text.replace('agreement["decision"] == "return"', "__import__('os').system('true')", 1)
    (tmp_path / "iom_route.bpmn").write_text(evil, encoding="utf-8")
    result = cli.invoke(args=["deploy", "--dir", str(tmp_path)])
    assert result.exit_code != 0 and "__import__" in result.output
    with app.extensions["iom"].sessions() as s:
        assert s.scalar(sa.text("SELECT count(*) FROM workflow_specs")) == 0


def test_verify_says_unknown_for_a_file_the_service_did_not_issue(database_url, tmp_path):
    app, cli = _runner(database_url)
    cli.invoke(args=["init-db"])
    stranger = tmp_path / "чужой.docx"
    stranger.write_bytes(b"PK\x03\x04 not ours")
    result = cli.invoke(args=["verify", str(stranger)])
    assert result.exit_code == 1 and "не выпускался этим сервисом или был изменён" in result.output


def test_stats_rebuild_builds_the_facts_of_every_route(database_url):
    app, cli = _runner(database_url)
    for command in ("init-db", "deploy", "demo"):
        assert cli.invoke(args=[command]).exit_code == 0
    out = cli.invoke(args=["stats-rebuild"])
    assert out.exit_code == 0 and "маршрутов 4" in out.output
    with app.extensions["iom"].sessions() as s:
        assert s.scalar(sa.text("SELECT count(*) FROM stats_routes")) == 4
