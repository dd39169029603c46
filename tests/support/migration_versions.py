"""Deploying another version of the route BPMN in the migration tests (the other workflows/*.bpmn
files unchanged), and bringing a route to the agreement over HTTP."""

from __future__ import annotations

import sqlalchemy as sa

from service.db.models import WorkflowSpec
from service.services import deployments
from tests.support import bpmn_variants as variants

VARIANTS = {"review": variants.with_review, "no_agreement": variants.without_agreement}


def deploy_variant(app, name: str) -> int:
    """Deploy the variant `name` of iom_route.bpmn (made current); its version's id."""
    ctx = app.extensions["iom"]
    files = deployments.read_workflow_files()
    spec_hash, _ = deployments.deploy(ctx, {**files, "iom_route.bpmn": VARIANTS[name]().encode("utf-8")})
    return spec_id_of(app, spec_hash)


def spec_id_of(app, spec_hash: str) -> int:
    with app.extensions["iom"].sessions() as s:
        return s.scalar(sa.select(WorkflowSpec.id).where(WorkflowSpec.content_hash == spec_hash))


def first_spec_id(app) -> int:
    """The version deployed at the app's start (workflows/ as it is)."""
    with app.extensions["iom"].sessions() as s:
        return s.scalar(sa.select(sa.func.min(WorkflowSpec.id)))


def to_agreement(people, route_id: int, teacher: str = "teacher1") -> None:
    """The draft written and the plan signed: the route waits for the CNPPM head's agreement."""
    people("tutor1").do(route_id, "draft")
    people("methodist").do(route_id, "plan_signatures_methodist")
    people(teacher).do(route_id, "plan_signatures_teacher")
