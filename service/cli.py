"""CLI commands: `flask --app service init-db | deploy | verify | verify-all | replay | demo | create-user | worker`
(or `iom …`)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from service.domain.access import OPERATOR
from service.domain.errors import ServiceError


def _ctx():
    return current_app.extensions["iom"]


def _fail(exc: ServiceError) -> None:
    raise click.ClickException(exc.message)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    from service.db.migrate import upgrade

    upgrade(_ctx().sessions.kw["bind"])
    click.echo("База данных готова.")


@click.command("deploy")
@with_appcontext
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False), default=None,
              help="Папка с файлами .bpmn (по умолчанию workflows/).")
@click.option("--templates", "templates_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Папка с шаблонами .docx (по умолчанию doc_templates/).")
def deploy(directory: str | None, templates_dir: str | None) -> None:
    """Validate and deploy the BPMN workflows and the document templates (new versions if changed)."""
    from pathlib import Path

    from service.services import deployments, documents

    try:
        files = deployments.read_workflow_files(Path(directory)) if directory else deployments.read_workflow_files()
        spec_hash, created = deployments.deploy(_ctx(), files)
        click.echo(("Развёрнута новая версия схемы " if created else "Схема уже развёрнута: ") + spec_hash)
        templates = documents.read_template_files(Path(templates_dir)) if templates_dir \
            else documents.read_template_files()
        for t in documents.deploy_templates(_ctx(), templates):
            click.echo(f"Шаблон {t['name']}: {'новая версия' if t['created'] else 'без изменений'} {t['sha256']}")
    except ServiceError as exc:
        _fail(exc)


@click.command("verify")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def verify(file: str) -> None:
    """Check whether a .docx was issued by this service unaltered (exit 1 if not)."""
    from pathlib import Path

    from service.services import documents

    result = documents.verify(_ctx(), Path(file).read_bytes())
    click.echo(result["message"])
    click.echo(f"SHA-256: {result['sha256']}")
    if result["status"] == "unknown":
        raise SystemExit(1)


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load demo data: a region, a centre, two schools, users for every role, routes at several stages."""
    from service.services import demo as demo_data

    try:
        people = demo_data.load(_ctx())
    except ServiceError as exc:
        _fail(exc)
    click.echo("Демо-данные загружены. Пользователи (логин / пароль — роль):")
    for login, password, role in people:
        click.echo(f"  {login} / {password} — {role}")


@click.command("create-user")
@with_appcontext
@click.option("--login", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--role", "roles", multiple=True, help="роль[:id подразделения], можно несколько")
@click.password_option()
def create_user(login: str, full_name: str, roles: tuple[str, ...], password: str) -> None:
    """Create a user with role grants."""
    from service.services import people

    try:
        grants = [people.parse_grant(spec) for spec in roles]
        user_id = people.create_user(_ctx(), login, full_name, password, grants)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Пользователь {login} создан (id {user_id}).")


@click.command("verify-all")
@with_appcontext
@click.option("--documents", is_flag=True, help="Также пересчитать хеши файлов документов и проверить подписи.")
def verify_all(documents: bool) -> None:
    """Check the hash chains of all routes (and the system chain); exit 1 on any failure."""
    from service.services import audit

    def progress(stage: str, done: int, total: int) -> None:
        click.echo(f"\r{stage}: {done}/{total}", nl=done >= total, err=True)

    total, failures = audit.verify_all(_ctx(), OPERATOR, documents=documents, progress=progress)
    for report in failures:
        where = f"маршрут {report.route_id}" if report.route_id is not None else "системная цепочка"
        for finding in report.findings:
            click.echo(f"{where}: {finding.where}: ожидалось {finding.expected}, найдено {finding.found}")
    click.echo(f"Проверено маршрутов: {total}; с расхождениями: {len(failures)}.")
    if failures:
        raise SystemExit(1)


@click.command("replay")
@with_appcontext
@click.argument("route_id", type=int)
@click.option("--documents", is_flag=True, help="Также заново отрисовать документы и сравнить SHA-256.")
def replay(route_id: int, documents: bool) -> None:
    """Re-execute a route from its events; exit 1 on the first divergence. With --documents it
    shows its progress and keeps the result by the route's chain head, as the worker's jobs do."""
    from service.services import audit_replay, replay_jobs

    def progress(done: int, total: int) -> None:
        click.echo(f"\rПовтор: {done}/{total}", nl=False, err=True)

    try:
        if documents:
            job = replay_jobs.replay_here(_ctx(), OPERATOR, route_id, documents=True, echo=progress)
            click.echo("", err=True)
            if job["state"] != "done":
                raise click.ClickException(job["error"] or "Повтор не выполнен")
            result = job["result"]
        else:
            result = audit_replay.replay(_ctx(), OPERATOR, route_id)
    except ServiceError as exc:
        _fail(exc)
    problems = ([result["divergence"]] if result["divergence"] else [])
    problems += [f for f in result.get("documents", []) if f != result["divergence"]]
    for p in problems:
        click.echo(f"{p['where']}: ожидалось {p['expected']}, найдено {p['found']}")
    if problems:
        raise SystemExit(1)
    click.echo(f"Повтор совпал с историей: событий {result['chain']['events']}, голова {result['chain']['head']}")


@click.command("worker")
@click.option("-w", "--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Потоков, выполняющих задания.")
def worker(workers: int) -> None:
    """Run the background worker (Huey): e-mail outbox, digests, timers; IOM_WORKER=sqlite|redis."""
    from service.worker import main

    main(workers)


def init_app(app: Flask) -> None:
    for command in (init_db, deploy, verify, verify_all, replay, demo, create_user, worker):
        app.cli.add_command(command)
