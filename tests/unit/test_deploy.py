"""Deploying BPMN: the real route deploys and describes its user tasks; anything that could run
code, or that names a role, form or handler the service does not have, is refused."""

from __future__ import annotations

import re
import tempfile
import uuid
from pathlib import Path

import pytest
from lxml import etree

from service.domain.errors import NotFound, WorkflowRejected
from service.engine.specs import NS, content_hash
from tests.support.engine_driver import (
    BPMN_NAME,
    FORM_NAMES,
    ROLES,
    make_engine,
    real_bpmn,
    replace_once,
    route_files,
)

AGREEMENT_CONDITION = 'agreement["decision"] == "return"'


@pytest.fixture(scope="module")
def engine():
    return make_engine()


@pytest.fixture(scope="module")
def spec_hash(engine):
    return engine.deploy(route_files())


def with_condition(expression: str) -> str:
    """The real BPMN with the agreement's "return" condition replaced by `expression`."""
    return replace_once(real_bpmn(), f">{AGREEMENT_CONDITION}<", f">{expression}<")


# ---- the real route ---------------------------------------------------------------------------


def test_the_real_route_deploys_and_is_loaded(engine, spec_hash):
    assert re.fullmatch(r"[0-9a-f]{64}", spec_hash)
    assert engine.is_loaded(spec_hash)


def test_the_content_hash_is_the_same_for_the_same_bytes(engine, spec_hash):
    other_engine = make_engine()
    assert engine.deploy(route_files()) == spec_hash
    assert other_engine.deploy(route_files()) == spec_hash


def test_the_content_hash_changes_when_one_byte_changes(engine, spec_hash):
    original = route_files()[BPMN_NAME]
    changed = original.replace(b'exporterVersion="1"', b'exporterVersion="2"', 1)
    assert len(changed) == len(original)
    assert sum(a != b for a, b in zip(original, changed, strict=True)) == 1
    changed_hash = engine.deploy({BPMN_NAME: changed})
    assert changed_hash != spec_hash
    assert engine.is_loaded(changed_hash) and engine.is_loaded(spec_hash)


def test_the_content_hash_depends_on_the_file_name(engine, spec_hash):
    assert engine.deploy({"other.bpmn": route_files()[BPMN_NAME]}) != spec_hash


def test_an_unknown_hash_is_not_found(engine):
    with pytest.raises(NotFound, match="не загружена"):
        engine.human_tasks("0" * 64)


def test_human_tasks_list_every_user_task_of_the_route(engine, spec_hash):
    root = etree.fromstring(route_files()[BPMN_NAME])
    user_task_ids = set(root.xpath("//bpmn:userTask/@id", namespaces=NS))
    tasks = engine.human_tasks(spec_hash)
    assert set(tasks) == user_task_ids
    assert len(tasks) == 16
    for name, task in tasks.items():
        assert task.name == name
        assert task.role in ROLES, name
        assert task.form in FORM_NAMES, name
        assert task.title and task.stage, name


@pytest.mark.parametrize(
    ("task", "role", "form"),
    [
        ("draft", "tutor", "draft"),
        ("plan_signatures_methodist", "methodist", "sign"),
        ("agreement", "cnppm_head", "review"),
        ("approval", "school_head", "review"),
        ("plan_signatures_teacher", "teacher", "sign"),
        ("implementation", "tutor", "implementation"),
        ("correction_signatures_tutor", "tutor", "sign"),
        ("conclusions", "methodist", "conclusions"),
        ("conclusion_signatures_school_head", "school_head", "sign"),
        ("acknowledge", "teacher", "acknowledge"),
    ],
)
def test_a_user_task_is_described_with_its_role_and_form(engine, spec_hash, task, role, form):
    spec = engine.human_tasks(spec_hash)[task]
    assert (spec.role, spec.form) == (role, form)


def test_keeps_and_clears_properties_are_read(engine, spec_hash):
    tasks = engine.human_tasks(spec_hash)
    assert tasks["correction"].keeps == ("correction",)
    assert tasks["correction"].clears == ("correction_signatures_*",)
    assert tasks["draft"].clears == ("*",)
    assert tasks["agreement"].keeps == () and tasks["agreement"].clears == ()


# ---- refused deployments ----------------------------------------------------------------------


def _refused(engine, xml: str | bytes) -> WorkflowRejected:
    with pytest.raises(WorkflowRejected) as rejected:
        engine.deploy(route_files(xml))
    assert rejected.value.problems, "a refusal lists its problems"
    assert rejected.value.message.startswith("Схема процесса отклонена: ")
    return rejected.value


def test_a_condition_that_would_run_a_shell_command_is_refused_and_never_runs(engine):
    marker = Path(tempfile.gettempdir()) / f"pwned-{uuid.uuid4().hex}"
    payload = f"__import__('os').system('touch {marker}')"
    try:
        refused = _refused(engine, with_condition(payload))
        assert any(payload in p for p in refused.problems), refused.problems
        assert "__import__" in refused.message
        assert not marker.exists()
    finally:
        marker.unlink(missing_ok=True)


def test_a_condition_that_reads_a_file_is_refused(engine):
    refused = _refused(engine, with_condition("open('/etc/passwd').read() != ''"))
    assert any("open('/etc/passwd')" in p and "open" in p for p in refused.problems), refused.problems


def test_every_unsafe_condition_is_listed_not_only_the_first(engine):
    xml = with_condition("open('/etc/passwd')")
    xml = replace_once(xml, '>approval["decision"] == "return"<', ">globals()<")
    refused = _refused(engine, xml)
    assert len(refused.problems) == 2
    assert "open" in refused.problems[0] + refused.problems[1]
    assert "globals" in refused.problems[0] + refused.problems[1]


def test_a_harmless_change_at_the_same_place_deploys(engine, spec_hash):
    """The fixtures above differ from a deployable file only in the culprit."""
    changed = engine.deploy(route_files(with_condition('agreement.get("decision") == "return"')))
    assert engine.is_loaded(changed) and changed != spec_hash


SERVICE_BUILD_CARD = re.compile(r'<bpmn:serviceTask id="do_build_card".*?</bpmn:serviceTask>', re.S)


def _with_script_task() -> str:
    xml = real_bpmn()
    assert len(SERVICE_BUILD_CARD.findall(xml)) == 1
    script_task = (
        '<bpmn:scriptTask id="do_build_card" name="Карта ИОМ" scriptFormat="python">\n'
        "      <bpmn:incoming>flow_draft_do_build_card</bpmn:incoming>\n"
        "      <bpmn:outgoing>flow_do_build_card_plan_signatures</bpmn:outgoing>\n"
        "      <bpmn:script>card_revision = 1</bpmn:script>\n"
        "    </bpmn:scriptTask>"
    )
    return SERVICE_BUILD_CARD.sub(script_task, xml)


def _with_pre_script() -> str:
    head = '<bpmn:userTask id="draft" name="Составление ИОМ">\n      <bpmn:extensionElements>\n'
    return replace_once(real_bpmn(), head, head + "        <spiff:preScript>draft = {}</spiff:preScript>\n")


REFUSED = {
    "script task": (_with_script_task, ["scriptTask"]),
    "pre-script on a user task": (_with_pre_script, ["preScript", "скрипты запрещены"]),
    "unknown handler": (
        lambda: replace_once(real_bpmn(), 'serviceTaskOperator id="build_card"',
                             'serviceTaskOperator id="format_disk"'),
        ["do_build_card", "format_disk", "нет обработчика"],
    ),
    "unknown form": (
        lambda: replace_once(real_bpmn(), '<spiff:property name="form" value="draft" />',
                             '<spiff:property name="form" value="passport_scan" />'),
        ["draft", "passport_scan", "нет формы"],
    ),
    "unknown role (lane janitor)": (
        lambda: replace_once(real_bpmn(), '<bpmn:lane id="lane_cnppm_head" name="cnppm_head">',
                             '<bpmn:lane id="lane_cnppm_head" name="janitor">'),
        ["agreement", "janitor", "неизвестная роль"],
    ),
    "not XML": (lambda: "это не BPMN, а просто текст", ["не XML"]),
    "truncated XML": (lambda: real_bpmn()[:2000], ["не XML"]),
    "empty file": (lambda: "", ["не XML"]),
    "unknown element in the BPMN namespace (XSD)": (
        lambda: replace_once(real_bpmn(), '<bpmn:laneSet id="lanes">',
                             '<bpmn:frobnicate id="x" />\n    <bpmn:laneSet id="lanes">'),
        ["frobnicate", BPMN_NAME],
    ),
    "no iom_route process": (
        lambda: real_bpmn().replace('"iom_route"', '"other_route"'),
        ["iom_route"],
    ),
}


@pytest.mark.parametrize(("make_xml", "culprits"), REFUSED.values(), ids=list(REFUSED))
def test_a_deployment_is_refused_and_the_problem_names_the_culprit(engine, make_xml, culprits):
    refused = _refused(engine, make_xml())
    text = "; ".join(refused.problems)
    for culprit in culprits:
        assert culprit in text, (culprit, refused.problems)


def test_a_refused_deployment_is_not_loaded(engine):
    xml = with_condition("open('/etc/passwd')").encode()
    _refused(engine, xml)
    assert not engine.is_loaded(content_hash({BPMN_NAME: xml}))
