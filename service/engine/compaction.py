"""Keeping the task tree from growing with every pass round a loop.

SpiffWorkflow adds new task instances each time a loop comes round (a return with remarks,
every correction). The tree would grow without end, every engine step walks all of it, and
past depth 1000 the engine stalls silently. When a human task becomes ready and an earlier
instance of the same task stands on its ancestor line, with no other branch still running
beside it, the workflow is reset to that earlier instance with the current data: the state
is the same as arriving there for the first time, and the tree stays the size of one pass.
The history of the rounds is kept by the service's event log, not by the tree.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState


def _earlier_instance(task):
    ancestor = task.parent
    while ancestor is not None and ancestor.task_spec is not task.task_spec:
        ancestor = ancestor.parent
    return ancestor


def _runs_alone_below(workflow: BpmnWorkflow, ancestor) -> bool:
    for other in workflow.get_tasks(state=TaskState.DEFINITE_MASK):
        if other.workflow is workflow and other is not ancestor and not other.is_descendant_of(ancestor):
            return False
    return True


def compact(workflow: BpmnWorkflow, ready: list) -> bool:
    """Fold one completed loop round back onto its first pass; True if something was folded.
    `ready` is the workflow's ready human tasks (`get_tasks(state=TaskState.READY, manual=True)`)."""
    for task in ready:
        if task.workflow is not workflow:
            continue  # loops inside subprocesses are not folded
        earlier = _earlier_instance(task)
        if earlier is None or not _runs_alone_below(workflow, earlier):
            continue
        workflow.reset_from_task_id(earlier.id, data=task.data)
        workflow.do_engine_steps()
        return True
    return False
