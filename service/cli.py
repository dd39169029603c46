"""CLI commands: `flask --app service init-db | deploy | verify | verify-all | replay | demo | create-user | worker
| migration-preview | migrate-routes`
(or `iom …`)."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from service.domain.access import OPERATOR, Actor
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


@click.command("stats-rebuild")
@with_appcontext
def stats_rebuild() -> None:
    """Build the statistics facts of every route anew (after a change of the region's calendar, or a
    first start on a database with routes); the worker keeps them current after."""
    from service.services import stats_facts

    started = time.monotonic()
    total = stats_facts.rebuild_all(_ctx())
    click.echo(f"Статистика пересчитана: маршрутов {total}, {time.monotonic() - started:.0f} с.")


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


# Moving routes between workflow versions is an admin's act; on the server it is the operator's.
MIGRATION_OPERATOR = Actor(0, "оператор сервера", frozenset({("admin", None)}))


def _bad_input(message: str) -> None:
    """Exit 2 (as click does for a wrong option) with a clear message."""
    raise click.UsageError(message)


def _spec_id(value: str) -> int:
    """A workflow version by its id or a prefix of its hash (at least 6 hex digits)."""
    from service.services import versions

    found = versions.workflows(_ctx(), MIGRATION_OPERATOR)
    if value.isdigit() and len(value) <= 10 and any(w["id"] == int(value) for w in found):
        return int(value)
    prefix = value.lower()
    matches = [w["id"] for w in found if len(prefix) >= 6 and w["hash"].startswith(prefix)]
    if len(matches) != 1:
        _bad_input(f"Версия схемы «{value}» {'неоднозначна' if matches else 'не найдена'}: укажите номер версии "
                   "или начало её хеша (от 6 символов); версии — на странице «Версии»")
    return matches[0]


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old.strip() or not new.strip():
            _bad_input(f"--map «{value}»: ожидается старая_задача=задача_новой_версии")
        mapping[old.strip()] = new.strip()
    return mapping


def _body(source: str, target: str, stage: str | None, pairs: tuple[str, ...]) -> dict:
    body = {"from_spec_id": _spec_id(source), "to_spec_id": _spec_id(target), "mapping": _pairs(pairs)}
    return {**body, "stage": stage} if stage else body


def _refused(exc: ServiceError) -> None:
    """Bad input (422, unknown version, same version) exits 2 with the reasons."""
    problems = [p.message for p in getattr(exc, "problems", None) or []]
    _bad_input("; ".join(problems) if problems else exc.message)


_VERSION_OPTIONS = (
    click.option("--from", "source", required=True, help="Версия, маршруты которой перевести: номер или начало хеша."),
    click.option("--to", "target", required=True, help="Версия, на которую перевести: номер или начало хеша."),
    click.option("--stage", default=None, help="Только маршруты на этом этапе (draft, agreement, approval, …)."),
    click.option("--map", "pairs", multiple=True, metavar="СТАРАЯ=НОВАЯ",
                 help="Задача, которой нет в новой версии → задача новой версии; можно несколько."),
)


def _version_options(command):
    for option in reversed(_VERSION_OPTIONS):
        command = option(command)
    return command


@click.command("migration-preview")
@with_appcontext
@_version_options
def migration_preview(source: str, target: str, stage: str | None, pairs: tuple[str, ...]) -> None:
    """What moving a version's running routes (at a stage) to another version would do: counts and
    the tasks that block routes."""
    from service.services import route_migration

    body = _body(source, target, stage, pairs)
    try:
        found = route_migration.preview_version(_ctx(), MIGRATION_OPERATOR, body.pop("from_spec_id"), body,
                                                body.pop("stage", None))
    except ServiceError as exc:
        _refused(exc)
    click.echo(f"Версия {found['from']['hash'][:12]} → {found['to']['hash'][:12]}: маршрутов в работе "
               f"{found['total']}; можно перевести {found['can_migrate']}, нельзя {found['cannot_migrate']}.")
    for name, count in found["blocked_tasks"].items():
        click.echo(f"Нет в новой версии: «{found['titles'].get(name, name)}» ({name}) — маршрутов: {count}")
    for r in found["routes"]:
        if not r["can_migrate"]:
            click.echo(f"маршрут {r['route_id']}: {r['reason']}")


@click.command("migrate-routes")
@with_appcontext
@_version_options
@click.option("--reason", required=True, help="Причина перевода (записывается в историю каждого маршрута).")
def migrate_routes(source: str, target: str, stage: str | None, pairs: tuple[str, ...], reason: str) -> None:
    """Move a version's running routes (at a stage) to another version here and now, each in its own
    transaction; prints the report, exit 1 if some route was not moved, 2 on bad input."""
    from service.services import route_migration_batches

    def progress(done: int, total: int) -> None:
        click.echo(f"\rПеревод: {done}/{total}", nl=done >= total, err=True)

    try:
        batch = route_migration_batches.run_here(_ctx(), MIGRATION_OPERATOR,
                                                 {**_body(source, target, stage, pairs), "reason": reason}, progress)
    except ServiceError as exc:
        _refused(exc)
    for row in batch.get("report", []):
        click.echo(f"маршрут {row['route_id']}: " + ("переведён" if row["ok"] else f"не переведён — {row['reason']}"))
    if batch["state"] != "done":
        raise click.ClickException(batch["error"] or "Перевод не выполнен")
    click.echo(f"Перевод № {batch['id']}: переведено {batch['migrated']}, не переведено {batch['failed']} "
               f"из {batch['total']}.")
    if batch["failed"]:
        raise SystemExit(1)


@click.command("worker")
@click.option("-w", "--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Потоков, выполняющих задания.")
def worker(workers: int) -> None:
    """Run the background worker (Huey): e-mail outbox, digests, timers; IOM_WORKER=sqlite|redis."""
    from service.worker import main

    main(workers)


def init_app(app: Flask) -> None:
    for command in (init_db, deploy, verify, verify_all, replay, demo, create_user, worker, migration_preview,
                    migrate_routes, stats_rebuild):
        app.cli.add_command(command)
