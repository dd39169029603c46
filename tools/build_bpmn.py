"""Generate workflows/iom_route.bpmn: the approval chain of a route, with diagram interchange.

The chain is described below as data (lanes, nodes on a grid, flows); the script writes the
BPMN 2.0 semantic model with spiff extensions and a BPMNDI layout so that the file opens and
draws in bpmn-js / Camunda Modeler. Edit the description and run:

    python tools/build_bpmn.py            # rewrites workflows/iom_route.bpmn

The generated file is committed; the service only reads the .bpmn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

OUT = Path(__file__).resolve().parents[1] / "workflows" / "iom_route.bpmn"

LANES = [
    ("teacher", "Педагог"),
    ("tutor", "Тьютор ЦНППМ"),
    ("methodist", "Региональный методист"),
    ("cnppm_head", "Руководитель ЦНППМ"),
    ("school_head", "Руководитель ОО"),
]
LANE_H = 170
POOL_X, LANE_X = 120, 150
COL_W = 150
TOP = 80

SIZES = {
    "startEvent": (36, 36), "endEvent": (36, 36), "userTask": (110, 80), "serviceTask": (110, 80),
    "exclusiveGateway": (50, 50), "parallelGateway": (50, 50),
}


@dataclass
class Node:
    id: str
    kind: str
    name: str = ""
    lane: str = "tutor"
    col: float = 0
    props: dict[str, str] = field(default_factory=dict)
    operator: tuple[str, str] | None = None  # (handler name, result variable)
    params: dict[str, str] = field(default_factory=dict)  # parameter name → expression
    error: bool = False  # error end event
    default: str | None = None
    parent: str | None = None  # subprocess id


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str = ""
    condition: str | None = None


@dataclass
class Sub:
    id: str
    name: str
    lane: str
    col: float
    width_cols: float
    lanes: tuple[str, str]  # first and last lane the box spans


nodes: list[Node] = []
flows: list[Flow] = []
subs: list[Sub] = []
boundaries: list[tuple[str, str, str]] = []  # (id, attached subprocess, name)
timers: list[tuple[str, str, str, str, str]] = []  # (id, attached user task, name, element, text)

# Forms whose tasks have a deadline (service/domain/route_rules.DUE_DAYS): each such task gets a
# reminder one working day before its due day and an escalation from the first working day after
# it, every two working days (working-day notation: service/engine/timers.py).
TIMED_FORMS = {"draft", "sign", "review", "activity_report", "correction", "final_results", "conclusions",
               "acknowledge"}
REMIND_BEFORE, ESCALATE_EVERY = 1, 2


def user(id, name, lane, col, form, stage, parent=None, **extra):
    """A user task. Properties: form (forms/<form>.json), stage, and optionally `keeps` (its own
    earlier submission stays for revision) and `clears` (glob patterns of earlier submissions
    dropped when it becomes ready; its own is always dropped unless kept)."""
    props = {"form": form, "stage": stage, **extra}
    if parent:
        props["role"] = lane  # a subprocess passes its own lane to its children: name the role
    nodes.append(Node(id, "userTask", name, lane, col, props, parent=parent))
    if form in TIMED_FORMS:
        timers.append((f"{id}_reminder", id, "Напоминание", "timeDate",
                       f"before_due(working_days={REMIND_BEFORE})"))
        timers.append((f"{id}_escalation", id, "Эскалация", "timeCycle",
                       f"after_due(every_working_days={ESCALATE_EVERY})"))


def service(handler, name, lane, col, id=None, **params):
    """A service task runs `handler` from service/tasks on the route card; the card's new
    revision number lands in `card_revision`. `params` are expressions (string literals here)."""
    nodes.append(Node(id or f"do_{handler}", "serviceTask", name, lane, col, operator=(handler, "card_revision"),
                      params={k: repr(v) for k, v in params.items()}))


def prepare(kind, name, lane, col):
    service("prepare_document", name, lane, col, id=f"prepare_{kind}", kind=kind)


def issue(kind, name, lane, col, suffix=""):
    service("issue_document", name, lane, col, id=f"issue_{kind}{suffix}", kind=kind)


def node(id, kind, name="", lane="tutor", col=0, parent=None, error=False):
    nodes.append(Node(id, kind, name, lane, col, parent=parent, error=error))


def flow(source, target, name="", condition=None, default=False):
    fid = f"flow_{source}_{target}"
    flows.append(Flow(fid, source, target, name, condition))
    if default:
        next(n for n in nodes if n.id == source).default = fid


def signatures(sub_id, name, lane, col, signers, stage, signs):
    """An expanded subprocess: every signer signs in parallel; a refusal ends it with an error."""
    lanes = [ln for ln, _ in LANES if ln in signers]
    subs.append(Sub(sub_id, name, lane, col, 4.8, (lanes[0], lanes[-1])))
    p = sub_id
    node(f"{p}_start", "startEvent", "", lane, col + 0.25, parent=p)
    node(f"{p}_split", "parallelGateway", "", lane, col + 0.8, parent=p)
    node(f"{p}_join", "parallelGateway", "", lane, col + 3.6, parent=p)
    node(f"{p}_end", "endEvent", "Подписано", lane, col + 4.2, parent=p)
    flow(f"{p}_start", f"{p}_split")
    for role, label in signers.items():
        task, gw = f"{p}_{role}", f"{p}_{role}_check"
        user(task, f"Подпись: {label}", role, col + 1.5, "sign", stage, parent=p, signs=signs, action="sign")
        node(gw, "exclusiveGateway", "", role, col + 2.4, parent=p)
        node(f"{gw}_refused", "endEvent", "Отказ", role, col + 3.0, parent=p, error=True)
        flow(f"{p}_split", task)
        flow(task, gw)
        flow(gw, f"{gw}_refused", "Отказ", f'{task}["decision"] == "return"')
        flow(gw, f"{p}_join", "Подписано", default=True)
    flow(f"{p}_join", f"{p}_end")
    boundaries.append((f"{p}_refused", p, "Отказ в подписи"))


# ---- the chain -------------------------------------------------------------------------------
# Properties: `signs` names the document a task signs (confirmed with the password, bound to its
# SHA-256), `action` what the signature means (sign | agree | approve | acknowledge).
node("start", "startEvent", "Маршрут создан", "tutor", 0)
user("draft", "Составление ИОМ", "tutor", 1, "draft", "draft", clears="*")
service("build_card", "Карта ИОМ", "tutor", 2)
prepare("karta", "Проект карты ИОМ", "tutor", 3)
signatures("plan_signatures", "Подписание плана", "tutor", 4,
           {"teacher": "педагог", "methodist": "методист"}, "draft", "karta")
user("agreement", "Согласование", "cnppm_head", 9, "review", "agreement", signs="karta", action="agree")
node("agreement_check", "exclusiveGateway", "Согласовано?", "cnppm_head", 10)
user("approval", "Утверждение", "school_head", 11, "review", "approval", signs="karta", action="approve")
node("approval_check", "exclusiveGateway", "Утверждено?", "school_head", 12)
service("start_route", "Начало реализации", "school_head", 13)
issue("karta", "Выпуск карты ИОМ", "school_head", 14, "_approved")
user("implementation", "Сопровождение реализации", "tutor", 15, "implementation", "implementation",
     clears="*")
node("implementation_next", "exclusiveGateway", "Далее", "tutor", 16)
user("activity_report", "Отчёт о мероприятиях", "teacher", 17, "activity_report", "implementation")
service("record_report", "Учёт отчёта", "teacher", 18)
user("correction", "Корректировка ИОМ", "tutor", 17, "correction", "implementation",
     keeps="correction", clears="correction_signatures_*")
node("correction_action", "exclusiveGateway", "Отправить?", "tutor", 18)
prepare("korrektirovka", "Лист корректировки", "tutor", 19)
signatures("correction_signatures", "Подписание корректировки", "tutor", 20,
           {"teacher": "педагог", "tutor": "тьютор", "methodist": "методист"}, "implementation", "korrektirovka")
service("apply_correction", "Внесение корректировки", "tutor", 25)
issue("korrektirovka", "Выпуск листа корректировки", "tutor", 26)
issue("karta", "Новая версия карты", "tutor", 27, "_corrected")
user("final_results", "Итоговая диагностика", "tutor", 28, "final_results", "conclusion")
service("record_final_results", "Учёт итогов", "tutor", 29)
user("conclusions", "Выводы", "methodist", 30, "conclusions", "conclusion",
     keeps="conclusions", clears="conclusion_signatures_*")
service("record_conclusions", "Учёт выводов", "methodist", 31)
prepare("vyvody", "Проект выводов", "methodist", 32)
signatures("conclusion_signatures", "Подписание выводов", "methodist", 33,
           {"methodist": "методист", "school_head": "руководитель ОО"}, "conclusion", "vyvody")
user("acknowledge", "Ознакомление с выводами", "teacher", 38, "acknowledge", "conclusion",
     signs="vyvody", action="acknowledge")
issue("vyvody", "Выпуск выводов", "teacher", 39)
node("outcome", "exclusiveGateway", "Итог", "teacher", 40)
service("close_route", "Завершение", "teacher", 41)
service("prolong_route", "Продление", "methodist", 41)
issue("karta", "Итоговая карта", "teacher", 42, "_completed")
issue("karta", "Итоговая карта", "methodist", 42, "_prolonged")
node("end_completed", "endEvent", "ИОМ завершён", "teacher", 43)
node("end_prolonged", "endEvent", "ИОМ продлён", "methodist", 43)

flow("start", "draft")
flow("draft", "do_build_card")
flow("do_build_card", "prepare_karta")
flow("prepare_karta", "plan_signatures")
flow("plan_signatures_refused", "draft", "Вернуть с замечаниями")
flow("plan_signatures", "agreement")
flow("agreement", "agreement_check")
flow("agreement_check", "draft", "Вернуть с замечаниями", 'agreement["decision"] == "return"')
flow("agreement_check", "approval", "Согласовано", default=True)
flow("approval", "approval_check")
flow("approval_check", "draft", "Вернуть с замечаниями", 'approval["decision"] == "return"')
flow("approval_check", "do_start_route", "Утверждаю", default=True)
flow("do_start_route", "issue_karta_approved")
flow("issue_karta_approved", "implementation")
flow("implementation", "implementation_next")
flow("implementation_next", "activity_report", "Отчёт", 'implementation["next"] == "report"')
flow("implementation_next", "correction", "Корректировка", 'implementation["next"] == "correction"')
flow("implementation_next", "final_results", "Завершение", default=True)
flow("activity_report", "do_record_report")
flow("do_record_report", "implementation")
flow("correction", "correction_action")
flow("correction_action", "implementation", "Отозвать", 'correction["action"] == "withdraw"')
flow("correction_action", "prepare_korrektirovka", "На подпись", default=True)
flow("prepare_korrektirovka", "correction_signatures")
flow("correction_signatures_refused", "correction", "Отказ")
flow("correction_signatures", "do_apply_correction")
flow("do_apply_correction", "issue_korrektirovka")
flow("issue_korrektirovka", "issue_karta_corrected")
flow("issue_karta_corrected", "implementation")
flow("final_results", "do_record_final_results")
flow("do_record_final_results", "conclusions")
flow("conclusions", "do_record_conclusions")
flow("do_record_conclusions", "prepare_vyvody")
flow("prepare_vyvody", "conclusion_signatures")
flow("conclusion_signatures_refused", "conclusions", "Отказ")
flow("conclusion_signatures", "acknowledge")
flow("acknowledge", "issue_vyvody")
flow("issue_vyvody", "outcome")
flow("outcome", "do_prolong_route", "Продлить", 'conclusions["outcome"] == "prolong"')
flow("outcome", "do_close_route", "Эффективен", default=True)
flow("do_close_route", "issue_karta_completed")
flow("do_prolong_route", "issue_karta_prolonged")
flow("issue_karta_completed", "end_completed")
flow("issue_karta_prolonged", "end_prolonged")


# ---- geometry --------------------------------------------------------------------------------
def lane_y(lane: str) -> int:
    return TOP + [ln for ln, _ in LANES].index(lane) * LANE_H


def bounds_of(n: Node) -> tuple[float, float, float, float]:
    w, h = SIZES[n.kind]
    cx = LANE_X + 60 + n.col * COL_W + 55
    cy = lane_y(n.lane) + LANE_H / 2
    return cx - w / 2, cy - h / 2, w, h


def sub_bounds(s: Sub) -> tuple[float, float, float, float]:
    x = LANE_X + 60 + s.col * COL_W - 10
    y = lane_y(s.lanes[0]) + 12
    return x, y, s.width_cols * COL_W, lane_y(s.lanes[1]) + LANE_H - 12 - y


def boundary_bounds(b) -> tuple[float, float, float, float]:
    x, y, w, h = sub_bounds(next(s for s in subs if s.id == b[1]))
    return x + 30, y + h - 18, 36, 36


def timer_bounds(t) -> tuple[float, float, float, float]:
    """On the lower edge of the task: the reminder at its left, the escalation at its right."""
    x, y, w, h = bounds_of(next(n for n in nodes if n.id == t[1]))
    left = x + 4 if t[0].endswith("_reminder") else x + w - 40
    return left, y + h - 18, 36, 36


def shape_bounds(elem_id: str):
    for n in nodes:
        if n.id == elem_id:
            return bounds_of(n)
    for s in subs:
        if s.id == elem_id:
            return sub_bounds(s)
    for b in boundaries:
        if b[0] == elem_id:
            return boundary_bounds(b)
    raise KeyError(elem_id)


def waypoints(f: Flow) -> list[tuple[float, float]]:
    sx, sy, sw, sh = shape_bounds(f.source)
    tx, ty, tw, th = shape_bounds(f.target)
    if f.source.endswith("_refused") and any(b[0] == f.source for b in boundaries):
        start = (sx + sw / 2, sy + sh)
        low = max(sy + sh, ty + th) + 10
        return [start, (start[0], low), (tx + tw / 2, low), (tx + tw / 2, ty + th)]
    start = (sx + sw, sy + sh / 2)
    end = (tx, ty + th / 2)
    if tx > sx + sw:  # forward
        if abs(start[1] - end[1]) < 1:
            return [start, end]
        return [start, (start[0] + 20, start[1]), (start[0] + 20, end[1]), end]
    # backward: leave from the bottom, run along the lane's lower edge, enter from below
    start = (sx + sw / 2, sy + sh)
    lane_bottom = max(sy + sh, ty + th) + 22
    return [start, (start[0], lane_bottom), (tx + tw / 2, lane_bottom), (tx + tw / 2, ty + th)]


# ---- XML -------------------------------------------------------------------------------------
def a(v: str) -> str:
    return quoteattr(v)


def node_xml(n: Node, indent: str) -> list[str]:
    inc = [f.id for f in flows if f.target == n.id]
    out = [f.id for f in flows if f.source == n.id]
    attrs = f'id={a(n.id)} name={a(n.name)}'
    if n.default:
        attrs += f' default={a(n.default)}'
    lines = [f"{indent}<bpmn:{n.kind} {attrs}>"]
    if n.props:
        lines.append(f"{indent}  <bpmn:extensionElements>")
        lines.append(f"{indent}    <spiff:properties>")
        for k, v in n.props.items():
            lines.append(f"{indent}      <spiff:property name={a(k)} value={a(v)} />")
        lines.append(f"{indent}    </spiff:properties>")
        lines.append(f"{indent}  </bpmn:extensionElements>")
    if n.operator:
        handler, result = n.operator
        lines += [f"{indent}  <bpmn:extensionElements>",
                  f"{indent}    <spiff:serviceTaskOperator id={a(handler)} resultVariable={a(result)}>"]
        if n.params:
            lines.append(f"{indent}      <spiff:parameters>")
            lines += [f"{indent}        <spiff:parameter id={a(k)} type=\"str\" value={a(v)} />"
                      for k, v in n.params.items()]
            lines.append(f"{indent}      </spiff:parameters>")
        lines += [f"{indent}    </spiff:serviceTaskOperator>", f"{indent}  </bpmn:extensionElements>"]
    lines += [f"{indent}  <bpmn:incoming>{i}</bpmn:incoming>" for i in inc]
    lines += [f"{indent}  <bpmn:outgoing>{o}</bpmn:outgoing>" for o in out]
    if n.error:
        lines.append(f'{indent}  <bpmn:errorEventDefinition errorRef="signature_refused" />')
    lines.append(f"{indent}</bpmn:{n.kind}>")
    return lines


def flow_xml(f: Flow, indent: str) -> list[str]:
    attrs = f"id={a(f.id)} sourceRef={a(f.source)} targetRef={a(f.target)}"
    if f.name:
        attrs += f" name={a(f.name)}"
    if not f.condition:
        return [f"{indent}<bpmn:sequenceFlow {attrs} />"]
    return [
        f"{indent}<bpmn:sequenceFlow {attrs}>",
        f"{indent}  <bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\">"
        f"{escape(f.condition)}</bpmn:conditionExpression>",
        f"{indent}</bpmn:sequenceFlow>",
    ]


def owner(elem_id: str) -> str | None:
    for n in nodes:
        if n.id == elem_id:
            return n.parent
    return None


def process_xml() -> list[str]:
    out = ['  <bpmn:process id="iom_route" name="Индивидуальный образовательный маршрут" isExecutable="true">']
    out.append('    <bpmn:laneSet id="lanes">')
    for ln, label in LANES:
        out.append(f'      <bpmn:lane id="lane_{ln}" name="{ln}">')
        out.append(f"        <bpmn:documentation>{escape(label)}</bpmn:documentation>")
        members = [n.id for n in nodes if n.lane == ln and n.parent is None]
        members += [s.id for s in subs if s.lane == ln]
        members += [b[0] for b in boundaries if next(s for s in subs if s.id == b[1]).lane == ln]
        members += [t[0] for t in timers if next(n for n in nodes if n.id == t[1]).lane == ln and owner(t[1]) is None]
        out += [f"        <bpmn:flowNodeRef>{m}</bpmn:flowNodeRef>" for m in members]
        out.append("      </bpmn:lane>")
    out.append("    </bpmn:laneSet>")
    for n in nodes:
        if n.parent is None:
            out += node_xml(n, "    ")
    for s in subs:
        inc = [f.id for f in flows if f.target == s.id]
        outg = [f.id for f in flows if f.source == s.id]
        out.append(f"    <bpmn:subProcess id={a(s.id)} name={a(s.name)}>")
        out += [f"      <bpmn:incoming>{i}</bpmn:incoming>" for i in inc]
        out += [f"      <bpmn:outgoing>{o}</bpmn:outgoing>" for o in outg]
        for n in nodes:
            if n.parent == s.id:
                out += node_xml(n, "      ")
        out += [line for t in timers if owner(t[1]) == s.id for line in timer_xml(t, "      ")]
        for f in flows:
            if owner(f.source) == s.id:
                out += flow_xml(f, "      ")
        out.append("    </bpmn:subProcess>")
    for bid, attached, name in boundaries:
        outg = [f.id for f in flows if f.source == bid]
        out.append(f"    <bpmn:boundaryEvent id={a(bid)} name={a(name)} attachedToRef={a(attached)}>")
        out += [f"      <bpmn:outgoing>{o}</bpmn:outgoing>" for o in outg]
        out.append('      <bpmn:errorEventDefinition errorRef="signature_refused" />')
        out.append("    </bpmn:boundaryEvent>")
    out += [line for t in timers if owner(t[1]) is None for line in timer_xml(t, "    ")]
    for f in flows:
        if owner(f.source) is None:
            out += flow_xml(f, "    ")
    out.append("  </bpmn:process>")
    return out


def timer_xml(t, indent: str) -> list[str]:
    """A non-interrupting timer boundary event: the service sends the reminder or escalation; the
    branch needs no flow of its own."""
    tid, attached, name, element, text = t
    return [f"{indent}<bpmn:boundaryEvent id={a(tid)} name={a(name)} attachedToRef={a(attached)} "
            f'cancelActivity="false">',
            f"{indent}  <bpmn:timerEventDefinition>",
            f'{indent}    <bpmn:{element} xsi:type="bpmn:tFormalExpression">{escape(text)}</bpmn:{element}>',
            f"{indent}  </bpmn:timerEventDefinition>",
            f"{indent}</bpmn:boundaryEvent>"]


def fmt(v: float) -> str:
    return f"{v:g}"


def di_xml() -> list[str]:
    width = LANE_X - POOL_X + 60 + (max(n.col for n in nodes) + 2) * COL_W
    out = ['  <bpmndi:BPMNDiagram id="diagram">',
           '    <bpmndi:BPMNPlane id="plane" bpmnElement="collaboration">']
    out.append(f'      <bpmndi:BPMNShape id="pool_di" bpmnElement="pool" isHorizontal="true">'
               f'<dc:Bounds x="{POOL_X}" y="{TOP}" width="{width}" height="{LANE_H * len(LANES)}" />'
               "</bpmndi:BPMNShape>")
    for ln, _ in LANES:
        out.append(f'      <bpmndi:BPMNShape id="lane_{ln}_di" bpmnElement="lane_{ln}" isHorizontal="true">'
                   f'<dc:Bounds x="{LANE_X}" y="{lane_y(ln)}" width="{width - (LANE_X - POOL_X)}" '
                   f'height="{LANE_H}" /></bpmndi:BPMNShape>')
    for s in subs:
        x, y, w, h = sub_bounds(s)
        out.append(f'      <bpmndi:BPMNShape id="{s.id}_di" bpmnElement="{s.id}" isExpanded="true">'
                   f'<dc:Bounds x="{fmt(x)}" y="{fmt(y)}" width="{fmt(w)}" height="{fmt(h)}" />'
                   "</bpmndi:BPMNShape>")
    for n in nodes:
        x, y, w, h = bounds_of(n)
        marker = ' isMarkerVisible="true"' if n.kind == "exclusiveGateway" else ""
        out.append(f'      <bpmndi:BPMNShape id="{n.id}_di" bpmnElement="{n.id}"{marker}>'
                   f'<dc:Bounds x="{fmt(x)}" y="{fmt(y)}" width="{w}" height="{h}" /></bpmndi:BPMNShape>')
    for b in boundaries:
        x, y, w, h = boundary_bounds(b)
        out.append(f'      <bpmndi:BPMNShape id="{b[0]}_di" bpmnElement="{b[0]}">'
                   f'<dc:Bounds x="{fmt(x)}" y="{fmt(y)}" width="{w}" height="{h}" /></bpmndi:BPMNShape>')
    for t in timers:
        x, y, w, h = timer_bounds(t)
        out.append(f'      <bpmndi:BPMNShape id="{t[0]}_di" bpmnElement="{t[0]}">'
                   f'<dc:Bounds x="{fmt(x)}" y="{fmt(y)}" width="{w}" height="{h}" /></bpmndi:BPMNShape>')
    for f in flows:
        out.append(f'      <bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">')
        out += [f'        <di:waypoint x="{fmt(x)}" y="{fmt(y)}" />' for x, y in waypoints(f)]
        out.append("      </bpmndi:BPMNEdge>")
    out += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>"]
    return out


def build() -> str:
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!-- Generated by tools/build_bpmn.py: edit the script, not this file. -->",
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"'
        ' xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"'
        ' xmlns:di="http://www.omg.org/spec/DD/20100524/DI"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:spiff="http://spiffworkflow.org/bpmn/schema/1.0/core"'
        ' id="iom_definitions" targetNamespace="https://iom.example/bpmn"'
        ' exporter="tools/build_bpmn.py" exporterVersion="1">',
        '  <bpmn:error id="signature_refused" name="Отказ в подписи" errorCode="signature_refused" />',
        '  <bpmn:collaboration id="collaboration">',
        '    <bpmn:participant id="pool" name="Маршрут ИОМ" processRef="iom_route" />',
        "  </bpmn:collaboration>",
    ]
    return "\n".join(head + process_xml() + di_xml() + ["</bpmn:definitions>", ""])


if __name__ == "__main__":
    OUT.write_text(build(), encoding="utf-8")
    print(f"wrote {OUT}")
