"""``describe``: a process version's files as a ``ProcessDoc``.

Read from the XML (the safe parser the deployment used), with the version's
stored meta for what Baton resolved at deploy time: human tasks' forms and
who works them. Works without meta too, for any diagram Baton accepts and
for descriptive models that never ran.
"""
from __future__ import annotations

from dataclasses import replace

from app.engine.bpmn_kinds import CONTAINERS
from app.engine.model import Form, TaskMeta
from app.engine.xml import documentation, parse_xml

from .dmn import as_bytes, decision_tables
from .forms import form_fields, form_in_xml
from .model import DecisionTable, Flow, Lane, OutgoingFlow, ProcessDoc, Step, Timer
from .order import BPMN, flow_order, local_name
from .steps import (
    decision_id, hook_of, human_rules, instructions, label, own_timers, type_in_words, who_in_words,
)

HUMAN_KINDS = ("userTask", "manualTask", "task")


def describe(files: dict[str, str | bytes], bpmn_file: str, process_key: str,
             meta: dict | None = None) -> ProcessDoc:
    """The documentation of process ``process_key`` of ``bpmn_file``; the file's
    first executable process (else its first process) when it has no such key.
    ValueError when the file is missing, unreadable, or holds no process."""
    if bpmn_file not in files:
        raise ValueError(f"the bundle has no file {bpmn_file!r}")
    tree, problems = parse_xml(bpmn_file, as_bytes(files[bpmn_file]))
    if tree is None:
        raise ValueError(f"{bpmn_file} cannot be read: {problems[0] if problems else 'no content'}")
    process = _find_process(tree.getroot(), process_key)
    if process is None:
        raise ValueError(f"{bpmn_file} holds no process")
    return _Description(files, bpmn_file, tree.getroot(), process, meta or {}).doc()


def _find_process(root, key: str):
    processes = root.findall(f"{BPMN}process")
    for wanted in (lambda p: p.get("id") == key, lambda p: p.get("isExecutable") == "true", lambda p: True):
        found = [p for p in processes if wanted(p)]
        if found:
            return found[0]
    return None


class _Description:
    """One reading of one process."""

    def __init__(self, files, bpmn_file: str, root, process, meta: dict):
        self.files, self.bpmn_file, self.process = files, bpmn_file, process
        self.participant = next((p for p in root.iter(f"{BPMN}participant")
                                 if p.get("processRef") == process.get("id")), None)
        self.tasks = _task_metas(meta)
        self.start_form = _stored_form(meta.get("start_form"))
        self.tables = decision_tables(files)
        self.lanes, self.lane_of = _lanes(process)
        by_id = {el.get("id"): el for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
        self.names = {element_id: label(el) for element_id, el in by_id.items()}
        self.flows = tuple(_flow(f, by_id) for f in process.iter(f"{BPMN}sequenceFlow") if f.get("id"))

    def doc(self) -> ProcessDoc:
        nodes = flow_order(self.process)
        steps = [self._step(el) for el in nodes]
        attached: dict[str, list[Timer]] = {}
        for step in steps:
            if step.attached_to:
                attached.setdefault(step.attached_to, []).extend(t for t in step.timers if t.element_id == step.id)
        steps = [s if s.id not in attached else _with_timers(s, attached[s.id]) for s in steps]
        start = next((s for s in steps if s.bpmn_type == "startEvent" and s.form and s.container is None), None)
        element = self.participant if self.participant is not None else self.process
        return ProcessDoc(
            key=self.process.get("id"),
            name=_process_name(self.process, self.participant),
            documentation=documentation(self.process) or documentation(element),
            bpmn_file=self.bpmn_file,
            lanes=self.lanes,
            steps=tuple(steps),
            flows=self.flows,
            decision_tables=self.tables,
            start_form=form_fields(self.start_form) if self.start_form else (start.form if start else ()),
        )

    def _step(self, el) -> Step:
        kind, step_id = local_name(el), el.get("id")
        timers = list(own_timers(el))
        who, priority, form = "", None, ()
        if kind in HUMAN_KINDS:
            rules = human_rules(el, self.tasks.get(step_id))
            who, priority = who_in_words(rules), rules.priority
            form = form_fields(rules.form) if rules.form else form_fields(form_in_xml(el, self.files))
            if rules.due_date:
                timers.append(Timer(step_id, label(el), "due date", rules.due_date))
        elif kind == "startEvent":
            form = form_fields(form_in_xml(el, self.files))
        return Step(
            id=step_id, name=label(el), type=type_in_words(el), bpmn_type=kind,
            lane=self._lane(el), documentation=documentation(el), who=who, form=form,
            hook=hook_of(el), timers=tuple(timers), priority=priority,
            outgoing=tuple(OutgoingFlow(f.id, f.target_id, self.names.get(f.target_id, f.target_id),
                                        f.name, f.condition, f.is_default)
                           for f in self.flows if f.source_id == step_id),
            decision=self._decision(el) if kind == "businessRuleTask" else None,
            attached_to=el.get("attachedToRef") if kind == "boundaryEvent" else None,
            container=_container(el),
            instructions=instructions(el),
            calls=(el.get("calledElement") or "").strip() if kind == "callActivity" else "",
        )

    def _lane(self, el) -> str | None:
        """A node's lane, else the lane of the subprocess it is in (or of the step it is attached to)."""
        while el is not None:
            lane = self.lane_of.get(el.get("id")) or self.lane_of.get(el.get("attachedToRef") or "")
            if lane:
                return lane
            el = el.getparent() if el.getparent() is not self.process else None
        return None

    def _decision(self, el) -> DecisionTable | None:
        wanted = decision_id(el)
        return next((t for t in self.tables if t.decision_id == wanted), None)


def _process_name(process, participant) -> str:
    """The process's name, else its pool's, else its id."""
    for element in (process, participant):
        if element is not None and " ".join((element.get("name") or "").split()):
            return " ".join(element.get("name").split())
    return process.get("id")


def _stored_form(data) -> Form | None:
    try:
        return Form.from_dict(data) if isinstance(data, dict) else None
    except (KeyError, TypeError, AttributeError):   # meta of another shape: read the XML instead
        return None


def _task_metas(meta: dict) -> dict[str, TaskMeta]:
    found = {}
    for bpmn_id, data in (meta.get("tasks") or {}).items():
        try:
            found[bpmn_id] = TaskMeta.from_dict(data)
        except (TypeError, KeyError, AttributeError):   # meta of another shape: read the XML instead
            continue
    return found


def _lanes(process) -> tuple[tuple[Lane, ...], dict[str, str]]:
    """The process's lanes (nested ones too) and each node's lane name (the innermost)."""
    lanes, lane_of = [], {}
    for lane in process.iter(f"{BPMN}lane"):
        name = label(lane)
        lanes.append(Lane(lane.get("id") or "", name))
        for ref in lane.iterfind(f"{BPMN}flowNodeRef"):
            lane_of[(ref.text or "").strip()] = name    # nested lanes come later: innermost wins
    return tuple(lanes), lane_of


def _flow(element, by_id: dict) -> Flow:
    condition = element.find(f"{BPMN}conditionExpression")
    source = element.get("sourceRef") or ""
    source_element = by_id.get(source)
    return Flow(
        id=element.get("id"), source_id=source, target_id=element.get("targetRef") or "",
        name=" ".join((element.get("name") or "").split()),
        condition=((condition.text or "").strip() or None) if condition is not None else None,
        is_default=source_element is not None and source_element.get("default") == element.get("id"),
    )


def _container(el) -> str | None:
    for ancestor in el.iterancestors():
        if local_name(ancestor) in CONTAINERS:
            return ancestor.get("id")
    return None


def _with_timers(step: Step, attached: list[Timer]) -> Step:
    return replace(step, timers=step.timers + tuple(attached))
