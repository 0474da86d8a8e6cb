"""Workflow state and process specs as JSON, stored apart.

SpiffWorkflow's own serializer embeds the process spec and every subprocess
spec in each workflow's serialization. Baton stores the spec once per
definition version (``dump_spec``) and each instance's state without it
(``dump_state``); ``load_state`` takes the already restored spec objects.

Both are wrapped in a small versioned envelope. The SpiffWorkflow serializer
version ("1.5" for 3.2.0) is recorded and checked: its migrations between
versions are broken (SPIFFWORKFLOW-NOTES), so state written by another version
is refused rather than guessed at.

The dialects need different converter configurations (the spiff and Camunda
parsers produce different task spec classes), so there is one registry per
flavour, built once and shared; converters keep no per-call state.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    MessageEventDefinitionConverter, TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter, EventConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.serializer.task_spec import UserTaskConverter as CamundaUserTaskConverter
from SpiffWorkflow.camunda.specs.user_task import Form as CamundaForm
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from app.engine.timers import CLOCKED_TIMERS

STATE_FORMAT = "baton-state/1"
SPEC_FORMAT = "baton-spec/1"
FLAVOURS = ("spiff", "camunda")


class StateFormatError(ValueError):
    """Stored JSON this version of Baton cannot read."""


# --- data types in task data --------------------------------------------------

class _BatonRegistry(DefaultRegistry):
    """SpiffWorkflow's registry, plus the value types forms and scripts produce.

    The default one knows datetime and timedelta only; a ``date`` or
    ``Decimal`` in task data makes ``json.dumps`` fail."""

    def __init__(self):
        super().__init__()
        self.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]))
        self.register(time, lambda v: {"value": v.isoformat()}, lambda d: time.fromisoformat(d["value"]))
        self.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))

    def restore(self, val, **kwargs):
        # A typed value is a dict with a "typename" key. Task data may hold a
        # plain dict with such a key (a form field called "typename"); the
        # library would then call a missing converter and crash. Keep those.
        if isinstance(val, dict) and "typename" in val and not self._is_typed(val["typename"]):
            return {k: self.restore(v, **kwargs) for k, v in val.items()}
        return super().restore(val, **kwargs)

    def _is_typed(self, typename) -> bool:
        return isinstance(typename, str) and typename in self.convert_from_dict


# --- converters Baton changes ---------------------------------------------------

class _StateWithoutSpecConverter(BpmnWorkflowConverter):
    """A BpmnWorkflow without its spec and subprocess specs.

    ``from_dict`` takes the spec objects from the caller (restored once per
    definition version) instead of reading them from the state."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None, script_engine=None):
        if spec is None:
            raise StateFormatError("a workflow state restores only with its spec (load_state)")
        workflow = self.target_class(spec, subprocess_specs or {}, script_engine=script_engine,
                                     deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _CamundaStartEventConverter(EventConverter):
    """Camunda start events carry a form (Baton's parser reads it as for user
    tasks); the default event converter would drop it."""

    def to_dict(self, spec):
        dct = super().to_dict(spec)
        form = getattr(spec, "form", None)
        dct["form"] = CamundaUserTaskConverter.form_to_dict(self, form) if form is not None else None
        return dct

    def from_dict(self, dct):
        form = dct.pop("form", None)
        spec = super().from_dict(dct)
        if form is not None:
            spec.form = CamundaForm(init=form)
        return spec


class _ClockedTimerConverter(TimerConditionalEventDefinitionConverter):
    """Baton's clocked timers (timers.py), stored under the library's type
    names: the JSON is what the library writes, and timers in specs stored
    before Baton had its own classes are restored as the clocked ones."""

    def __init__(self, target_class, registry):
        library_class = next(lib for lib, ours in CLOCKED_TIMERS.items() if ours is target_class)
        super().__init__(target_class, registry, typename=library_class.__name__)


class _PlainMessageConverter(MessageEventDefinitionConverter):
    def __init__(self, target_class, registry):
        super().__init__(target_class, registry, typename="BpmnMessageEventDefinition")


def _with_clocked_timers(config: dict) -> dict:
    # Registered after the library's own timer converters (dict order), so
    # that restoring a timer type name builds Baton's class.
    return {**config, **{ours: _ClockedTimerConverter for ours in CLOCKED_TIMERS.values()}}


def _camunda_config() -> dict:
    config = dict(CAMUNDA_CONFIG)
    # Baton's Camunda parser builds service tasks (hooks named by topic) and
    # start events with forms; the library's Camunda config has neither.
    config[ServiceTask] = BpmnTaskSpecConverter
    config[StartEvent] = _CamundaStartEventConverter
    # Plain message events (receive tasks, and Baton's parser makes every
    # Camunda message event without payload extensions one); the library's
    # Camunda config keeps only its own class, under the plain type name.
    config[MessageEventDefinition] = _PlainMessageConverter
    return config


class _Flavour:
    """The registry, the state converter and the JSON encoder of one dialect."""

    def __init__(self, config: dict):
        self.registry = _BatonRegistry()
        for target_class, converter_class in config.items():
            converter_class(target_class, self.registry)
        self.state_converter = _StateWithoutSpecConverter(BpmnWorkflow, self.registry)
        self.encoder = create_encoder(self.registry)

    def to_json(self, obj: dict) -> str:
        return json.dumps(obj, cls=self.encoder, separators=(",", ":"))


@cache
def _flavour(name: str) -> _Flavour:
    if name == "spiff":
        return _Flavour(_with_clocked_timers(dict(SPIFF_CONFIG)))
    if name == "camunda":
        return _Flavour(_with_clocked_timers(_camunda_config()))
    raise ValueError(f"unknown flavour {name!r}: expected one of {', '.join(FLAVOURS)}")


def registry(flavour: str):
    """A flavour's converter registry (SpiffWorkflow's diff and migration helpers take it)."""
    return _flavour(flavour).registry


def register_spec_converter(flavour: str, spec_class: type, converter_class: type) -> None:
    """Teach a flavour's registry a custom task spec class (a parser override)."""
    converter_class(spec_class, _flavour(flavour).registry)


# --- specs ----------------------------------------------------------------------

def dump_spec(model) -> str:
    """The process spec and its subprocess specs of a ProcessModel, as JSON."""
    flavour = _flavour(model.flavour)
    convert = flavour.registry.convert
    return flavour.to_json({
        "format": SPEC_FORMAT,
        "spiff": SPIFF_SERIALIZER_VERSION,
        "flavour": model.flavour,
        "spec": convert(model.spec),
        "subprocess_specs": {name: convert(sp) for name, sp in model.subprocess_specs.items()},
    })


def load_spec(text: str) -> tuple[Any, dict[str, Any]]:
    """(spec, subprocess_specs) from ``dump_spec`` output; fresh objects each call."""
    dct = _open_envelope(text, SPEC_FORMAT)
    restore = _flavour(dct["flavour"]).registry.restore
    spec = restore(dct["spec"])
    subprocess_specs = {name: restore(sp) for name, sp in dct["subprocess_specs"].items()}
    return spec, subprocess_specs


def spec_flavour(text: str) -> str:
    """The flavour a stored spec was written with."""
    return _open_envelope(text, SPEC_FORMAT)["flavour"]


# --- state ------------------------------------------------------------------------

def dump_state(workflow: BpmnWorkflow, flavour: str) -> str:
    """A workflow's state without its specs (prune it first: see pruning.py)."""
    f = _flavour(flavour)
    return f.to_json({
        "format": STATE_FORMAT,
        "spiff": SPIFF_SERIALIZER_VERSION,
        "flavour": flavour,
        "workflow": f.registry.convert(workflow),
    })


def load_state(text: str, spec, subprocess_specs: dict, flavour: str, script_engine=None) -> BpmnWorkflow:
    """A workflow from ``dump_state`` output and its restored specs.

    The script engine is not part of the state: pass it here (or set
    ``workflow.script_engine``) after every load."""
    dct = _open_envelope(text, STATE_FORMAT)
    if dct["flavour"] != flavour:
        raise StateFormatError(f"the state was written for the {dct['flavour']} flavour, not {flavour}")
    f = _flavour(flavour)
    state = dict(dct["workflow"])
    state.pop("typename", None)
    return f.state_converter.from_dict(state, spec=spec, subprocess_specs=subprocess_specs,
                                       script_engine=script_engine)


def _open_envelope(text: str | bytes, expected_format: str) -> dict:
    try:
        dct = json.loads(text)
    except ValueError as exc:
        raise StateFormatError(f"not JSON: {exc}") from None
    found = dct.get("format") if isinstance(dct, dict) else None
    if found != expected_format:
        raise StateFormatError(f"unknown format {found!r}: this Baton reads {expected_format!r}")
    if dct.get("spiff") != SPIFF_SERIALIZER_VERSION:
        raise StateFormatError(
            f"written by SpiffWorkflow serializer {dct.get('spiff')!r}; this Baton runs "
            f"{SPIFF_SERIALIZER_VERSION!r} and does not migrate stored state")
    if dct.get("flavour") not in FLAVOURS:
        raise StateFormatError(f"unknown flavour {dct.get('flavour')!r}")
    return dct


# --- JSON-safe copies of data, for callers outside the engine -----------------------

def jsonable(value: Any) -> Any:
    """A copy of task data made of JSON types only.

    Dates and times become ISO 8601 text, Decimals text (no precision lost),
    sets and tuples lists; anything else unknown its ``str``."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if not callable(v)}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)
