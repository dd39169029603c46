"""A running route stays on the workflow version it started with, across redeploys and restarts."""

from __future__ import annotations

import copy

import sqlalchemy as sa

from service.app import build_service_context
from service.db.migrate import upgrade
from service.db.models import Route, Task, WorkflowSpec
from service.samples import VALID
from service.services import accounts, deployments, documents, routes
from service.services.demo import setup_people


def _ready(ctx, route_id):
    with ctx.sessions() as s:
        return {t.name: t for t in s.scalars(sa.select(Task).where(Task.route_id == route_id, Task.state == "ready"))}


def test_a_route_keeps_its_version_after_a_redeploy_and_a_restart(database_url):
    ctx = build_service_context(database_url)
    upgrade(ctx.sessions.kw["bind"])
    original = deployments.read_workflow_files()
    v1, _ = deployments.deploy(ctx, original)
    documents.deploy_templates(ctx, documents.read_template_files())
    ids = setup_people(ctx)
    head = accounts.load_actor(ctx, ids["head_cnppm"])
    old_route = routes.create_route(ctx, head, routes.NewRoute(ids["teacher1"], ids["tutor1"], ids["methodist"]))

    # v2 renames the draft task: new routes show the new title, the running one the old.
    text = original["iom_route.bpmn"].decode("utf-8").replace('name="Составление ИОМ"', 'name="Черновик ИОМ"', 1)
    v2, created = deployments.deploy(ctx, {"iom_route.bpmn": text.encode("utf-8")})
    assert created and v2 != v1
    new_route = routes.create_route(ctx, head, routes.NewRoute(ids["teacher2"], ids["tutor1"], ids["methodist"]))
    assert _ready(ctx, new_route)["draft"].title == "Черновик ИОМ"

    # A restarted service has no spec in memory: the old route's version is loaded from the database.
    restarted = build_service_context(database_url)
    tutor = accounts.load_actor(restarted, ids["tutor1"])
    routes.complete_task(restarted, tutor, _ready(restarted, old_route)["draft"].id, copy.deepcopy(VALID["draft"]))
    assert set(_ready(restarted, old_route)) == {"plan_signatures_teacher", "plan_signatures_methodist"}
    with restarted.sessions() as s:
        spec_of = dict(s.execute(sa.select(Route.id, WorkflowSpec.content_hash)
                                 .join(WorkflowSpec, WorkflowSpec.id == Route.spec_id)).all())
    assert spec_of == {old_route: v1, new_route: v2}
    ctx.sessions.kw["bind"].dispose()
    restarted.sessions.kw["bind"].dispose()
