"""What a process version's documentation is: the data the documentation
page, its HTML/PDF export and the version diff are made from.

``describe`` builds a ``ProcessDoc`` from a version's files (BPMN, DMN, forms);
``diff`` compares two of them into a ``VersionDiff``. Everything here is plain,
frozen data, so pages and exports only lay it out.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FormField:
    name: str                      # the variable it fills
    label: str                     # the schema's title, else the name
    type: str                      # "text", "number", "date", "yes/no", "choice", "list", ...
    required: bool
    choices: tuple[str, ...] = ()  # an enum's values (or oneOf titles)
    read_only: bool = False        # shown, not filled in (an earlier answer)
    description: str = ""          # the schema's description: the help under the field


@dataclass(frozen=True)
class Timer:
    """A timer event or a step's due date (an SLA), as written in the diagram."""

    element_id: str                # the timer event's BPMN id (the step's own id for a due date)
    name: str
    kind: str                      # "date", "duration", "cycle" or "due date"
    expression: str                # as written, e.g. "PT4H", "R/P1D", "${dueDate}"
    interrupting: bool | None = None   # a boundary timer: does it cancel the step?


@dataclass(frozen=True)
class Hook:
    """What an automated step calls: a service-task hook (operator or topic)
    with its parameters, or a script."""

    name: str                               # e.g. "notify", "store", "http", "script"
    parameters: tuple[tuple[str, str], ...] = ()   # (name, value as written), in diagram order


@dataclass(frozen=True)
class OutgoingFlow:
    flow_id: str
    target_id: str
    target_name: str
    name: str = ""                 # the flow's label
    condition: str | None = None   # the condition expression as written
    is_default: bool = False


@dataclass(frozen=True)
class DecisionRule:
    number: int                    # 1-based, as the table shows it
    inputs: tuple[str, ...]        # input entries as written ("-" for any)
    outputs: tuple[str, ...]
    annotation: str = ""
    rule_id: str = ""              # the DMN rule's id: how the diff matches rules across versions


@dataclass(frozen=True)
class DecisionTable:
    decision_id: str
    name: str
    file: str
    hit_policy: str                # "UNIQUE", "FIRST", "COLLECT", ...
    inputs: tuple[str, ...]        # each input's label, else its expression
    outputs: tuple[str, ...]       # each output's label, else its name
    rules: tuple[DecisionRule, ...]
    input_expressions: tuple[str, ...] = ()   # each input's expression, as written
    output_names: tuple[str, ...] = ()        # each output's variable name
    description: str = ""                     # the decision's description


@dataclass(frozen=True)
class Step:
    """One flow node: an event, task, gateway or subprocess."""

    id: str
    name: str                      # the label, else the id
    type: str                      # in words: "User task", "Timer boundary event", "Exclusive gateway"
    bpmn_type: str                 # the element's local name: "userTask", "boundaryEvent", ...
    lane: str | None = None        # the lane's name
    documentation: str = ""
    who: str = ""                  # assignee / candidate groups and users, in words ("" : the lane decides)
    form: tuple[FormField, ...] = ()
    hook: Hook | None = None
    timers: tuple[Timer, ...] = ()     # its own timer definition, its due date, and timers attached to it
    priority: str | None = None        # a human task's priority as written
    outgoing: tuple[OutgoingFlow, ...] = ()
    decision: DecisionTable | None = None   # a business rule task's table
    attached_to: str | None = None     # a boundary event: the step it is attached to
    container: str | None = None       # the subprocess it is inside (its id), None at the top level
    instructions: str = ""             # spiff instructionsForEndUser (Markdown, may hold Jinja), as written
    calls: str = ""                    # a call activity: the id of the process it calls


@dataclass(frozen=True)
class Lane:
    id: str
    name: str


@dataclass(frozen=True)
class Flow:
    id: str
    source_id: str
    target_id: str
    name: str = ""
    condition: str | None = None
    is_default: bool = False


@dataclass(frozen=True)
class ProcessDoc:
    key: str                       # the process id
    name: str
    documentation: str
    bpmn_file: str
    lanes: tuple[Lane, ...] = ()
    steps: tuple[Step, ...] = ()   # in flow order: from the start events, breadth first; unreached ones last
    flows: tuple[Flow, ...] = ()
    decision_tables: tuple[DecisionTable, ...] = ()
    start_form: tuple[FormField, ...] = ()

    def step(self, element_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == element_id), None)


@dataclass(frozen=True)
class Change:
    """One difference between two versions."""

    kind: str                      # "added", "removed" or "changed"
    area: str                      # "step", "flow", "condition", "form field", "lane", "timer", "hook",
                                   # "decision rule", "documentation", "process"
    element_id: str | None         # the BPMN element to mark on the diagram (None: not drawn)
    subject: str                   # what it is about, in words: "Approve request", "flow Approved → Notify"
    detail: str = ""               # what changed, in words
    before: str | None = None
    after: str | None = None


@dataclass(frozen=True)
class VersionDiff:
    key: str
    from_version: int
    to_version: int
    changes: tuple[Change, ...] = field(default_factory=tuple)

    def marks_before(self) -> dict[str, str]:
        """BPMN id -> "removed"/"changed", to mark on the older version's diagram."""
        return {c.element_id: c.kind for c in self.changes if c.element_id and c.kind in ("removed", "changed")}

    def marks_after(self) -> dict[str, str]:
        """BPMN id -> "added"/"changed", to mark on the newer version's diagram."""
        return {c.element_id: c.kind for c in self.changes if c.element_id and c.kind in ("added", "changed")}
