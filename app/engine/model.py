"""What a deployed process is, as the rest of Baton sees it.

The bundle loader (``bundle.py``) produces these from BPMN/DMN/form files; the
runtime (``runtime.py``) consumes them; services store them (``to_dict``) once
per definition version and restore them (``from_dict``) without re-parsing.
SpiffWorkflow does not read everything Baton needs (Camunda's assignee and
candidate rules, start forms, documentation of user tasks), so that
information is kept here beside the SpiffWorkflow spec, keyed by BPMN id.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Form:
    """A JSON Schema (the subset people use) plus an rjsf-style UI schema."""

    schema: dict[str, Any]
    ui_schema: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        # The order of the fields is written out too: PostgreSQL's jsonb keeps
        # an object's keys in an order of its own, and a form without a
        # ui:order shows its fields in the order of its properties.
        properties = self.schema.get("properties")
        order = list(properties) if isinstance(properties, dict) else []
        return {"schema": self.schema, "ui_schema": self.ui_schema, "field_order": order}

    @classmethod
    def from_dict(cls, d: dict | None) -> "Form | None":
        if d is None:
            return None
        schema, order = d["schema"], d.get("field_order")
        properties = schema.get("properties")
        if order and isinstance(properties, dict):
            ranked = {name: i for i, name in enumerate(order)}
            schema = {**schema, "properties": dict(sorted(properties.items(),
                                                          key=lambda item: ranked.get(item[0], len(ranked))))}
        return cls(schema=schema, ui_schema=d.get("ui_schema") or {})


@dataclass
class TaskMeta:
    """Baton's view of one human task of a process (a userTask or manualTask)."""

    bpmn_id: str
    name: str                          # the diagram's label, or the id when unnamed
    lane: str | None = None            # the lane's name
    documentation: str = ""            # bpmn:documentation
    instructions: str = ""             # spiff instructionsForEndUser (Markdown, may hold Jinja)
    assignee: str | None = None        # an expression as written (Python, or Camunda ``${...}``)
    candidate_groups: list[str] = field(default_factory=list)   # literal names or expressions
    candidate_users: list[str] = field(default_factory=list)
    due_date: str | None = None        # as written: a duration, a date, or ``${...}`` (engine.task_timing)
    priority: str | None = None        # as written: 0-100, or ``${...}``
    form: Form | None = None
    completed_by_variable: str | None = None   # who completed it goes into this variable

    def to_dict(self) -> dict:
        d = asdict(self)
        d["form"] = self.form.to_dict() if self.form else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TaskMeta":
        d = dict(d)
        d["form"] = Form.from_dict(d.get("form"))
        return cls(**d)


@dataclass
class ProcessModel:
    """One executable process of a bundle, parsed and validated."""

    key: str                           # the process id
    name: str
    description: str                   # the process's documentation text
    flavour: str                       # "spiff" or "camunda": which SpiffWorkflow dialect parsed it
    spec: Any                          # SpiffWorkflow BpmnProcessSpec
    subprocess_specs: dict[str, Any]   # called processes, by id
    tasks: dict[str, TaskMeta] = field(default_factory=dict)   # human tasks by BPMN id
    start_form: Form | None = None
    category: str = ""                 # where the catalogue lists it (a "category" property)
    startable: bool = True             # has a plain start event, so people can start it
    initiator: str | None = None       # the starter's username goes into this variable
    business_key_variable: str | None = None   # the instance's business key, once this variable has a value
    # Who may start it by hand (Camunda's candidateStarterGroups/Users); both empty: anyone.
    starter_groups: list[str] = field(default_factory=list)
    starter_users: list[str] = field(default_factory=list)
