"""Versions of the real route BPMN for the migration tests, built from workflows/iom_route.bpmn.

Each variant edits the parsed XML (no diagram shapes are added: the engine does not need
them; removed elements lose theirs), so the variants follow the real file as it changes.

* `with_review`: a new user task «Рецензирование» (the methodist, the review form) between an
  agreed plan and its approval;
* `without_agreement`: the CNPPM head's agreement (and its check and timers) removed, the plan
  signatures lead straight to the approval;
* `retitled`: one task's title changed (same id).
"""

from __future__ import annotations

from lxml import etree

from tests.support.engine_driver import real_bpmn

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiff": SPIFF, "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
REVIEW = "review"
REVIEW_TITLE = "Рецензирование"


def _parse(xml: str | None):
    return etree.fromstring((xml or real_bpmn()).encode("utf-8"))


def _dump(root) -> str:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def _one(root, xpath: str):
    found = root.xpath(xpath, namespaces=NS)
    assert len(found) == 1, f"{xpath}: {len(found)} matches; the variant needs exactly one"
    return found[0]


def _q(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


def _retarget(root, flow_id: str, target: str) -> None:
    """Point the sequence flow `flow_id` at `target` (its incoming lists follow)."""
    flow = _one(root, f"//bpmn:sequenceFlow[@id='{flow_id}']")
    for ref in root.xpath(f"//*[@id='{flow.get('targetRef')}']/bpmn:incoming[text()='{flow_id}']", namespaces=NS):
        ref.getparent().remove(ref)
    flow.set("targetRef", target)
    node = _one(root, f"//*[@id='{target}']")
    incoming = etree.Element(_q("incoming"))
    incoming.text = flow_id
    node.insert(_child_index(node), incoming)


def _child_index(node) -> int:
    """Where an incoming/outgoing reference goes: after the extension elements and documentation."""
    index = 0
    for i, child in enumerate(node):
        if etree.QName(child).localname in ("documentation", "extensionElements", "incoming"):
            index = i + 1
    return index


def with_review(xml: str | None = None) -> str:
    """A review by the methodist between the agreement («Согласовано») and the approval."""
    root = _parse(xml)
    process = _one(root, "//bpmn:process[@id='iom_route']")
    task = etree.SubElement(process, _q("userTask"), id=REVIEW, name=REVIEW_TITLE)
    props = etree.SubElement(etree.SubElement(task, _q("extensionElements")), f"{{{SPIFF}}}properties")
    for name, value in (("form", "review"), ("stage", "agreement"), ("role", "methodist")):
        etree.SubElement(props, f"{{{SPIFF}}}property", name=name, value=value)
    etree.SubElement(task, _q("outgoing")).text = "flow_review_approval"
    etree.SubElement(process, _q("sequenceFlow"), id="flow_review_approval", sourceRef=REVIEW, targetRef="approval")
    _retarget(root, "flow_agreement_check_approval", REVIEW)
    _retarget(root, "flow_review_approval", "approval")
    lane = _one(root, "//bpmn:lane[@id='lane_methodist']")
    etree.SubElement(lane, _q("flowNodeRef")).text = REVIEW
    return _dump(root)


def without_agreement(xml: str | None = None) -> str:
    """The plan signatures lead straight to the approval: no agreement, no agreement check."""
    root = _parse(xml)
    gone = {"agreement", "agreement_check", "agreement_reminder", "agreement_escalation"}
    flows = {f.get("id") for f in root.xpath("//bpmn:sequenceFlow", namespaces=NS)
             if f.get("sourceRef") in gone or f.get("targetRef") in gone}
    flows.discard("flow_plan_signatures_agreement")
    _retarget(root, "flow_plan_signatures_agreement", "approval")
    for element in root.xpath("//*[@id]", namespaces=NS):
        if element.get("id") in gone | flows:
            element.getparent().remove(element)
    for ref in root.xpath("//bpmn:flowNodeRef | //bpmn:incoming | //bpmn:outgoing", namespaces=NS):
        if ref.text in gone | flows:
            ref.getparent().remove(ref)
    for shape in root.xpath("//bpmndi:*[@bpmnElement]", namespaces=NS):
        if shape.get("bpmnElement") in gone | flows:
            shape.getparent().remove(shape)
    return _dump(root)


def retitled(task_id: str, title: str, xml: str | None = None) -> str:
    """The same process with one task's title changed."""
    root = _parse(xml)
    _one(root, f"//bpmn:userTask[@id='{task_id}']").set("name", title)
    return _dump(root)
