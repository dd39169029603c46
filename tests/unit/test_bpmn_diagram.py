"""The BPMN file is what the generator writes, and its diagram covers every element
(checked once by rendering in bpmn-js: it imports with no warnings)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
BPMN = ROOT / "workflows" / "iom_route.bpmn"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI", "di": "http://www.omg.org/spec/DD/20100524/DI"}
NODES = ("startEvent", "endEvent", "userTask", "serviceTask", "exclusiveGateway", "parallelGateway",
         "subProcess", "boundaryEvent")


def _generator():
    spec = importlib.util.spec_from_file_location("build_bpmn", ROOT / "tools" / "build_bpmn.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_bpmn"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_committed_bpmn_is_what_the_generator_writes():
    assert BPMN.read_text(encoding="utf-8") == _generator().build(), "run: python tools/build_bpmn.py"


def test_every_element_is_drawn():
    root = etree.parse(str(BPMN)).getroot()
    shapes = set(root.xpath("//bpmndi:BPMNShape/@bpmnElement", namespaces=NS))
    nodes = {n.get("id") for kind in NODES for n in root.xpath(f"//bpmn:{kind}", namespaces=NS)}
    lanes = set(root.xpath("//bpmn:lane/@id", namespaces=NS))
    assert nodes | lanes <= shapes
    for flow in root.xpath("//bpmn:sequenceFlow/@id", namespaces=NS):
        edge = root.xpath(f"//bpmndi:BPMNEdge[@bpmnElement='{flow}']", namespaces=NS)
        assert edge and len(edge[0].xpath("di:waypoint", namespaces=NS)) >= 2, flow


def test_there_is_one_lane_per_workflow_role():
    root = etree.parse(str(BPMN)).getroot()
    assert sorted(root.xpath("//bpmn:lane/@name", namespaces=NS)) == [
        "cnppm_head", "methodist", "school_head", "teacher", "tutor"]
