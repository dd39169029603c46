"""Parsing, validating and describing a deployable set of BPMN files.

A deployment is refused (WorkflowRejected, every problem listed) when the files do not
validate against the BPMN 2.0 XSD, when an expression is outside the allowed language, when
a script is present (business logic belongs in service/tasks), when a user task names an
unknown role or form, or a service task an unknown handler, or when a timer is anything but a
non-interrupting boundary event of a user task in the working-day notation (engine/timers.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask, UserTask

from service.domain.errors import UnsafeExpression, WorkflowRejected
from service.engine.expressions import compile_expression
from service.engine.timers import TimerNotationError, parse_timer, working_day_timer

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
# Elements whose text the engine would evaluate as an expression.
EXPRESSION_XPATHS = (
    "//bpmn:conditionExpression", "//bpmn:loopCardinality", "//bpmn:completionCondition", "//bpmn:loopCondition",
)
# Timer texts: only the working-day notation of service/engine/timers.py, never evaluated.
TIMER_XPATHS = ("//bpmn:timeDuration", "//bpmn:timeDate", "//bpmn:timeCycle")
# Elements that would run as Python statements: never allowed.
SCRIPT_XPATHS = ("//bpmn:script", "//spiff:preScript", "//spiff:postScript", "//bpmn:scriptTask")

_validator: BpmnValidator | None = None


def _xsd() -> BpmnValidator:
    global _validator  # the XSD takes ~0.2 s to load: once per process
    if _validator is None:
        _validator = BpmnValidator()
    return _validator


@dataclass(frozen=True)
class HumanTaskSpec:
    """What the service needs to know about one user task of the process."""

    name: str
    title: str
    role: str
    form: str
    stage: str
    keeps: tuple[str, ...]
    clears: tuple[str, ...]
    signs: str = ""  # the kind of document an affirmative decision signs ("" for none)
    action: str = ""  # sign | agree | approve | acknowledge


@dataclass(frozen=True)
class SpecBundle:
    """A parsed, validated deployment: content hash, top process and its user tasks."""

    content_hash: str
    process_id: str
    spec: Any
    subprocess_specs: dict[str, Any]
    human_tasks: dict[str, HumanTaskSpec]


def content_hash(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def _parse_xml(name: str, data: bytes, problems: list[str]):
    try:
        return etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        problems.append(f"{name}: не XML ({exc})")
        return None


def _lint_expressions(name: str, root, problems: list[str]) -> None:
    for xp in SCRIPT_XPATHS:
        for node in root.xpath(xp, namespaces=NS):
            problems.append(f"{name}: скрипты запрещены ({etree.QName(node).localname} в строке {node.sourceline})")
    expressions = [n.text or "" for xp in EXPRESSION_XPATHS for n in root.xpath(xp, namespaces=NS)]
    expressions += root.xpath("//spiff:parameter/@value", namespaces=NS)
    for expression in expressions:
        try:
            compile_expression(expression)
        except UnsafeExpression as exc:
            problems.append(f"{name}: {exc.message}")
    for xp in TIMER_XPATHS:
        for node in root.xpath(xp, namespaces=NS):
            try:
                parse_timer(node.text or "")
            except TimerNotationError as exc:
                problems.append(f"{name}: {exc} (строка {node.sourceline})")


def _human_task(task_spec, roles: set[str], forms: set[str], problems: list[str]) -> HumanTaskSpec | None:
    props = task_spec.extensions.get("properties", {})
    role = props.get("role") or task_spec.lane
    form = props.get("form")
    where = f"задача {task_spec.name}"
    if role not in roles:
        problems.append(f"{where}: неизвестная роль {role!r}")
    if form not in forms:
        problems.append(f"{where}: нет формы {form!r}")
    if bool(props.get("signs")) != bool(props.get("action")):
        problems.append(f"{where}: свойства signs и action задаются вместе")
    return HumanTaskSpec(task_spec.name, task_spec.bpmn_name or task_spec.name, role or "", form or "",
                         props.get("stage", ""), _names(props.get("keeps")), _names(props.get("clears")),
                         props.get("signs", ""), props.get("action", ""))


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(k.strip() for k in (value or "").split(",") if k.strip())


def _install_timers(process, problems: list[str]) -> None:
    """Timer events become working-day timers (service/engine/timers.py); a timer is allowed only
    as a non-interrupting boundary event of a user task."""
    for task_spec in process.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition):
            continue
        where = f"таймер {task_spec.name}"
        if not isinstance(task_spec, BoundaryEvent):
            problems.append(f"{where}: таймер допускается только как граничное событие задачи")
            continue
        if task_spec.cancel_activity:
            problems.append(f"{where}: таймер должен быть непрерывающим (cancelActivity=\"false\")")
            continue
        attached = [t for t in task_spec.inputs[0].outputs if not isinstance(t, BoundaryEvent)]
        if not attached or not isinstance(attached[0], UserTask):
            problems.append(f"{where}: таймер ставится только на пользовательскую задачу")
            continue
        task_spec.event_definition = working_day_timer(definition.name, definition.expression)


def build_bundle(files: dict[str, bytes], process_id: str, *, roles: set[str], forms: set[str],
                 handlers) -> SpecBundle:
    """Validate and parse `files`; raise WorkflowRejected listing every problem found."""
    problems: list[str] = []
    roots = {name: _parse_xml(name, data, problems) for name, data in files.items()}
    if problems:
        raise WorkflowRejected(problems)
    for name, root in roots.items():
        _lint_expressions(name, root, problems)
    if problems:
        raise WorkflowRejected(problems)
    parser = SpiffBpmnParser(validator=_xsd())
    try:
        for name, root in roots.items():
            parser.add_bpmn_xml(etree.ElementTree(root), filename=name)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise WorkflowRejected([f"{exc.file_name or ''}: {exc} (строка {exc.line_number})"]) from None
    except KeyError:
        raise WorkflowRejected([f"нет процесса {process_id!r}"]) from None
    human: dict[str, HumanTaskSpec] = {}
    for process in [spec, *subprocess_specs.values()]:
        _install_timers(process, problems)
        for task_spec in process.task_specs.values():
            if isinstance(task_spec, UserTask):
                info = _human_task(task_spec, roles, forms, problems)
                human[info.name] = info
            elif isinstance(task_spec, ServiceTask) and task_spec.operation_name not in handlers:
                problems.append(f"задача {task_spec.name}: нет обработчика {task_spec.operation_name!r}")
    if problems:
        raise WorkflowRejected(problems)
    return SpecBundle(content_hash(files), process_id, spec, subprocess_specs, human)
