"""Specs and workflow state as JSON, stored apart (app/engine/serializer.py)."""
import json
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.specs.user_task import Form as CamundaForm, FormField
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from app.engine import serializer
from app.engine.model import ProcessModel
from app.engine.serializer import (
    StateFormatError, dump_spec, dump_state, jsonable, load_spec, load_state, spec_flavour,
)

DATA = Path(__file__).parent / "data" / "runtime"


def model(name: str, flavour: str = "spiff", dmn: bool = False) -> ProcessModel:
    parser = SpiffBpmnParser() if flavour == "spiff" else CamundaParser()
    parser.add_bpmn_file(str(DATA / f"{name}.bpmn"))
    if dmn:
        parser.add_dmn_file(str(DATA / "decide_level.dmn"))
    return ProcessModel(key=name, name=name, description="", flavour=flavour,
                        spec=parser.get_spec(name), subprocess_specs=parser.get_subprocess_specs(name))


def ready(workflow, bpmn_id):
    return next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                if t.task_spec.bpmn_id == bpmn_id)


def finish(workflow, bpmn_id, **data):
    task = ready(workflow, bpmn_id)
    task.set_data(**data)
    task.run()
    workflow.do_engine_steps()


# --- state without the spec ------------------------------------------------------

def test_stored_state_holds_no_spec():
    m = model("loop_three_step")
    workflow = BpmnWorkflow(m.spec, m.subprocess_specs)
    workflow.task_tree.set_data(counter=0, limit=3)
    workflow.do_engine_steps()

    text = dump_state(workflow, "spiff")
    full = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG)).serialize_json(workflow)
    stored = json.loads(text)

    assert stored["format"] == "baton-state/1" and stored["spiff"] == "1.5"
    assert "spec" not in stored["workflow"] and "subprocess_specs" not in stored["workflow"]
    assert "task_specs" not in text and "BpmnProcessSpec" not in text
    # No task spec dict of the process: they are what a spec serializes to.
    assert '"typename":"UserTask"' not in text and '"typename":"ScriptTask"' not in text
    assert len(text) < len(full) - len(dump_spec(m)) / 2
    assert len(text) < 5000


def test_state_round_trip_runs_to_completion():
    m = model("loop_three_step")
    spec, subprocess_specs = load_spec(dump_spec(m))
    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.task_tree.set_data(counter=0, limit=3)
    workflow.do_engine_steps()
    for _ in range(3):
        workflow = load_state(dump_state(workflow, "spiff"), spec, subprocess_specs, "spiff")
        finish(workflow, "review")
    assert workflow.is_completed()
    assert workflow.data["counter"] == 3


def test_subprocess_state_holds_no_spec_either():
    m = model("runtime_call")
    workflow = BpmnWorkflow(m.spec, m.subprocess_specs)
    workflow.do_engine_steps()
    text = dump_state(workflow, "spiff")
    assert len(workflow.subprocesses) == 1
    assert "task_specs" not in text

    restored = load_state(text, m.spec, m.subprocess_specs, "spiff")
    finish(restored, "inner")
    finish(restored, "wrap_up")
    assert restored.is_completed() and restored.data["answered"] is True


def test_script_engine_is_set_on_load():
    m = model("loop_three_step")
    workflow = BpmnWorkflow(m.spec, m.subprocess_specs)
    engine = PythonScriptEngine()
    restored = load_state(dump_state(workflow, "spiff"), m.spec, m.subprocess_specs, "spiff", script_engine=engine)
    assert restored.script_engine is engine


def test_registries_are_built_once_per_flavour():
    assert serializer._flavour("spiff") is serializer._flavour("spiff")
    assert serializer._flavour("spiff") is not serializer._flavour("camunda")
    with pytest.raises(ValueError, match="unknown flavour"):
        serializer._flavour("zeebe")


# --- values in task data ---------------------------------------------------------

VALUES = {
    "when": datetime(2024, 5, 17, 9, 30, tzinfo=timezone.utc),
    "naive": datetime(2024, 5, 17, 9, 30),
    "day": date(2024, 5, 17),
    "at": time(9, 30),
    "price": Decimal("19.99"),
    "wait": timedelta(hours=2),
    "nested": {"days": [date(2024, 1, 1), date(2024, 1, 2)], "total": Decimal("0.10")},
    "shaped_like_a_typed_value": {"typename": "laptop", "value": "x"},
}


def test_dates_times_and_decimals_in_task_data_survive():
    m = model("loop_three_step")
    workflow = BpmnWorkflow(m.spec, m.subprocess_specs)
    workflow.task_tree.set_data(counter=0, limit=3)
    workflow.do_engine_steps()
    task = ready(workflow, "review")
    task.set_data(**VALUES)
    workflow.data["stamp"] = date(2024, 2, 29)

    restored = load_state(dump_state(workflow, "spiff"), m.spec, m.subprocess_specs, "spiff")
    again = restored.get_task_from_id(task.id)
    for key, value in VALUES.items():
        assert again.data[key] == value and type(again.data[key]) is type(value), key
    assert restored.data["stamp"] == date(2024, 2, 29)

    finish(restored, "review")        # and the restored values still work in scripts
    assert restored.get_tasks(state=TaskState.READY, manual=True)[0].data["price"] == Decimal("19.99")


def test_jsonable_copies_data_into_json_types():
    out = jsonable(VALUES)
    json.dumps(out)
    assert out["when"] == "2024-05-17T09:30:00+00:00"
    assert out["day"] == "2024-05-17" and out["price"] == "19.99"
    assert out["nested"]["days"] == ["2024-01-01", "2024-01-02"]


# --- specs ----------------------------------------------------------------------

def test_spiff_spec_round_trips_with_extensions_and_decision():
    m = model("spiff_decision", "spiff", dmn=True)
    text = dump_spec(m)
    assert json.loads(text)["flavour"] == "spiff" and spec_flavour(text) == "spiff"

    spec, subprocess_specs = load_spec(text)
    fill = spec.task_specs["fill"]
    assert fill.extensions["properties"] == {"formJsonSchemaFilename": "fill.json"}
    assert fill.extensions["instructionsForEndUser"] == "Say how much."

    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.do_engine_steps()
    finish(workflow, "fill", amount=150)
    assert workflow.is_completed() and workflow.data["level"] == "high"


def test_camunda_spec_round_trips_with_form_decision_and_service_task():
    m = model("camunda_decision", "camunda", dmn=True)
    # Baton's Camunda parser gives start events a form; it must survive too.
    start_form = CamundaForm()
    start_form.key = "start"
    field = FormField()
    field.id, field.label, field.type = "reason", "Reason", "string"
    start_form.add_field(field)
    m.spec.task_specs["start"].form = start_form

    spec, subprocess_specs = load_spec(dump_spec(m))
    fields = spec.task_specs["fill"].form.fields
    assert [f.id for f in fields] == ["amount", "urgency"]
    assert [o.id for o in fields[1].options] == ["low", "high"]
    assert spec.task_specs["start"].form.fields[0].id == "reason"
    assert type(spec.task_specs["notify"]).__name__ == "ServiceTask"

    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.do_engine_steps()
    finish(workflow, "fill", amount=20)
    decided = next(t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id == "decide")
    assert decided.data["level"] == "low"
    state = dump_state(workflow, "camunda")
    assert load_state(state, spec, subprocess_specs, "camunda").get_task_from_id(decided.id).data["level"] == "low"


def test_subprocess_specs_round_trip():
    m = model("loop_subprocess")
    spec, subprocess_specs = load_spec(dump_spec(m))
    assert set(subprocess_specs) == {"work"} == set(m.subprocess_specs)
    assert "review" in subprocess_specs["work"].task_specs


# --- refusing what cannot be read --------------------------------------------------

@pytest.fixture
def stored():
    m = model("loop_three_step")
    workflow = BpmnWorkflow(m.spec, m.subprocess_specs)
    return m, json.loads(dump_state(workflow, "spiff"))


@pytest.mark.parametrize("change, message", [
    ({"format": "baton-state/2"}, "unknown format 'baton-state/2'"),
    ({"format": None}, "unknown format None"),
    ({"spiff": "1.4"}, "serializer '1.4'"),
    ({"flavour": "zeebe"}, "unknown flavour"),
])
def test_unknown_formats_are_refused(stored, change, message):
    m, dct = stored
    dct.update(change)
    with pytest.raises(StateFormatError, match=message):
        load_state(json.dumps(dct), m.spec, m.subprocess_specs, "spiff")


def test_other_refusals(stored):
    m, dct = stored
    with pytest.raises(StateFormatError, match="not JSON"):
        load_state("{", m.spec, m.subprocess_specs, "spiff")
    with pytest.raises(StateFormatError, match="written for the spiff flavour"):
        load_state(json.dumps(dct), m.spec, m.subprocess_specs, "camunda")
    with pytest.raises(StateFormatError, match="baton-spec/1"):
        load_spec(json.dumps(dct))
    with pytest.raises(StateFormatError, match="baton-state/1"):
        load_state(dump_spec(m), m.spec, m.subprocess_specs, "spiff")
