"""Workflow state ⇄ JSON text, without the spec.

SpiffWorkflow's serializer writes the whole process spec into every blob; a route's spec is
already stored once per deployment (keyed by content hash), so the blob keeps only the task
tree and data, and loading puts the cached spec objects back.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from service.engine.specs import SpecBundle
from service.engine.workflow import QuickSubWorkflow, QuickWorkflow


class _SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


class WorkflowCodec:
    """Dumps and loads workflow state; `date` and `Decimal` values survive the round trip."""

    def __init__(self) -> None:
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = _SpecFreeWorkflowConverter
        registry = BpmnWorkflowSerializer.configure(config)
        # the quick-finding classes (workflow.py) read and write SpiffWorkflow's own type names: blobs are unchanged
        _SpecFreeWorkflowConverter(QuickWorkflow, registry, "BpmnWorkflow")
        BpmnSubWorkflowConverter(QuickSubWorkflow, registry, "BpmnSubWorkflow")
        registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
        registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
        self._serializer = BpmnWorkflowSerializer(registry)

    def dump(self, workflow: BpmnWorkflow) -> str:
        return self._serializer.serialize_json(workflow)

    def load(self, state: str, bundle: SpecBundle) -> BpmnWorkflow:
        dct = json.loads(state)
        self._serializer.migrate(dct)
        dct["spec"] = bundle.spec
        dct["subprocess_specs"] = dict(bundle.subprocess_specs)
        return self._serializer.from_dict(dct)
