"""Loading bundles (app/engine/bundle.py): the good ones, and each way one goes wrong."""
from __future__ import annotations

from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from app.engine.bundle import Bundle, content_hash, load_bundle, validate_files
from app.engine.model import TaskMeta
from app.engine.problems import InvalidBundle, Problem

BUNDLES = Path(__file__).parent / "data" / "bundles"


def bundle(name: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((BUNDLES / name).iterdir())}


def line_of(data: bytes, needle: str) -> int:
    """The line of the first occurrence of needle: where the problem must point."""
    return data[: data.index(needle.encode())].count(b"\n") + 1


def edit(files: dict[str, bytes], name: str, old: str, new: str) -> dict[str, bytes]:
    assert old.encode() in files[name], old
    return {**files, name: files[name].replace(old.encode(), new.encode(), 1)}


def without(files: dict[str, bytes], name: str) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if k != name}


def problems_of(files: dict[str, bytes]) -> list[Problem]:
    problems = validate_files(files)
    with pytest.raises(InvalidBundle) as raised:
        load_bundle(files)
    assert raised.value.problems == problems
    return problems


def the_problem(files: dict[str, bytes]) -> Problem:
    problems = problems_of(files)
    assert len(problems) == 1, problems
    return problems[0]


SPIFF_BPMN = "access-request.bpmn"
CAMUNDA_BPMN = "incident.bpmn"


# --- a spiff-flavour bundle ----------------------------------------------------------

def test_spiff_bundle_loads():
    files = bundle("spiff")
    loaded = load_bundle(files)
    assert isinstance(loaded, Bundle) and loaded.files == files
    assert validate_files(files) == []
    [model] = loaded.processes
    assert (model.key, model.name, model.flavour) == ("access_request", "Request system access", "spiff")
    assert model.description.startswith("Someone asks for access to a business system;")
    assert model.spec.name == "access_request"
    assert list(model.subprocess_specs) == ["SubProcess_setup"]


def test_spiff_human_tasks_include_those_inside_subprocesses():
    [model] = load_bundle(bundle("spiff")).processes
    assert set(model.tasks) == {"Task_approve", "Task_create_account"}
    approve = model.tasks["Task_approve"]
    assert approve.name == "Approve access"          # the label's line break is a space
    assert approve.lane == "Manager"
    assert approve.documentation == "The manager checks that the request fits the requester's role."
    assert approve.instructions == "Approve **{{ level }}** access to {{ system }}?"
    assert approve.form.schema["required"] == ["approved"] and approve.form.ui_schema == {}
    create = model.tasks["Task_create_account"]
    assert (create.lane, create.form) == ("IT", None)
    assert TaskMeta.from_dict(create.to_dict()) == create


def test_spiff_start_form_has_its_ui_schema():
    [model] = load_bundle(bundle("spiff")).processes
    assert model.start_form.schema["title"] == "Request system access"
    assert model.start_form.ui_schema["ui:order"] == ["system", "reason"]


def run_to_first_human_task(model, data: dict):
    workflow = BpmnWorkflow(model.spec, model.subprocess_specs)
    workflow.get_tasks(state=TaskState.READY)[0].data.update(data)
    workflow.do_engine_steps()
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def test_spiff_spec_runs_with_its_decision():
    [model] = load_bundle(bundle("spiff")).processes
    [task] = run_to_first_human_task(model, {"system": "erp", "reason": "month-end close"})
    assert task.task_spec.bpmn_id == "Task_approve"
    assert task.data["level"] == "restricted"


# --- a camunda-flavour bundle --------------------------------------------------------

def test_camunda_bundle_loads_every_executable_process():
    loaded = load_bundle(bundle("camunda"))
    triage, review = loaded.processes
    assert (triage.key, triage.flavour, review.key) == ("incident_triage", "camunda", "incident_review")
    assert list(triage.subprocess_specs) == ["incident_review"]


def test_camunda_assignment_rules_are_read_from_the_xml():
    triage, review = load_bundle(bundle("camunda")).processes
    assert triage.tasks["Task_triage"].candidate_groups == ["service-desk", "managers"]
    assert triage.tasks["Task_triage"].lane == "service-desk"
    assert triage.tasks["Task_approve"].assignee == "${manager}"
    assert triage.tasks["Task_approve"].candidate_groups == []
    # A called process's tasks belong to the caller's model too.
    assert triage.tasks["Task_write_review"].candidate_users == ["alice", "bob"]
    assert review.tasks["Task_write_review"].candidate_users == ["alice", "bob"]


def test_camunda_forms_from_form_keys_and_form_data():
    triage, review = load_bundle(bundle("camunda")).processes
    assert triage.tasks["Task_triage"].form.schema["title"] == "Triage incident"   # embedded:deployment:
    assert review.tasks["Task_write_review"].form.schema["title"] == "Post-incident review"   # forms/...
    approve = triage.tasks["Task_approve"].form.schema
    assert approve["properties"]["plan_ok"]["type"] == "boolean"
    start = triage.start_form.schema
    assert list(start["properties"]) == ["summary", "impact"] and start["required"] == ["summary"]


def test_camunda_service_task_keeps_its_hook():
    triage, _ = load_bundle(bundle("camunda")).processes
    notify = triage.spec.task_specs["Task_notify"]
    assert notify.extensions["camunda"] == {
        "type": "external", "topic": "notify",
        "inputParameters": {"to": "requester", "subject": '"Your incident is being handled"'}}


def test_camunda_spec_runs_with_its_decision():
    triage, _ = load_bundle(bundle("camunda")).processes
    [task] = run_to_first_human_task(triage, {"summary": "mail down", "impact": "high"})
    assert (task.task_spec.bpmn_id, task.data["priority"]) == ("Task_triage", 1)


def test_content_hash_follows_content_only():
    files = bundle("spiff")
    assert load_bundle(files).content_hash == content_hash(dict(reversed(files.items())))
    changed = edit(files, SPIFF_BPMN, "Access granted", "Access given")
    assert load_bundle(changed).content_hash != load_bundle(files).content_hash
    assert content_hash({"ab": b"c"}) != content_hash({"a": b"bc"})


# --- files that cannot be read -------------------------------------------------------

def test_malformed_xml_names_the_line():
    files = edit(bundle("spiff"), SPIFF_BPMN, "</bpmn:userTask>", "</bpmn:usertask>")
    problem = the_problem(files)
    assert (problem.file, problem.line) == (SPIFF_BPMN, line_of(files[SPIFF_BPMN], "</bpmn:usertask>"))
    assert problem.message == ("malformed XML: Opening and ending tag mismatch: userTask line "
                               f"{line_of(files[SPIFF_BPMN], '<bpmn:userTask')} and usertask")


def test_entity_bomb_is_refused():
    from tests.engine.test_xml import BILLION_LAUGHS
    problem = the_problem({**bundle("spiff"), "bomb.dmn": BILLION_LAUGHS})
    assert (problem.file, problem.line) == ("bomb.dmn", 2)
    assert problem.message.startswith("DOCTYPE refused: it declares entities")


def test_external_entity_is_refused():
    files = bundle("spiff")
    data = files[SPIFF_BPMN].replace(
        b"<bpmn:definitions",
        b'<!DOCTYPE bpmn:definitions [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n<bpmn:definitions', 1)
    data = data.replace(b"The requester names the system", b"&secret;", 1)
    problem = the_problem({**files, SPIFF_BPMN: data})
    assert problem.line == 2 and "declares entities (secret)" in problem.message


def test_xsd_failure_names_element_and_line():
    files = edit(bundle("spiff"), SPIFF_BPMN, '<bpmn:userTask id="Task_approve"',
                 '<bpmn:userTask id="Task_approve" foo="bar"')
    assert the_problem(files) == Problem(
        SPIFF_BPMN, line_of(files[SPIFF_BPMN], '<bpmn:userTask'), "Task_approve",
        "userTask, attribute 'foo': The attribute 'foo' is not allowed.")


def test_every_broken_file_is_reported_at_once():
    files = edit(bundle("camunda"), CAMUNDA_BPMN, "</bpmn:process>", "</bpmn:proces>")
    files = edit(files, "review.bpmn", 'isExecutable="true"', 'isExecutable="yes"')
    files = edit(files, "triage.json", '"type": "object",', '"type": "object"')
    assert [p.file for p in problems_of(files)] == [CAMUNDA_BPMN, "review.bpmn", "triage.json"]


def test_non_json_form_names_its_line():
    files = edit(bundle("spiff"), "approve-schema.json", '"required": ["approved"],', '"required": ["approved"]')
    assert the_problem(files) == Problem(
        "approve-schema.json", 5, None, "not valid JSON: Expecting ',' delimiter (column 3)")


def test_form_that_is_not_a_usable_schema_is_reported_by_the_forms_module():
    files = edit(bundle("spiff"), "approve-schema.json", '"type": "object"', '"type": "array"')
    problem = the_problem(files)
    assert problem.file == "approve-schema.json" and "object" in problem.message


def test_unknown_files_and_empty_bundles():
    assert the_problem({**bundle("spiff"), "notes.txt": b"hi"}) == Problem(
        "notes.txt", None, None, "not a file a bundle can hold: expected .bpmn, .dmn or .json")
    assert the_problem({}) == Problem("(bundle)", None, None, "the bundle has no BPMN file")


# --- references that lead nowhere ---------------------------------------------------

def test_missing_form_file():
    files = without(bundle("spiff"), "approve-schema.json")
    assert the_problem(files) == Problem(
        SPIFF_BPMN, line_of(files[SPIFF_BPMN], '<bpmn:userTask id="Task_approve"'), "Task_approve",
        "form 'approve-schema.json' is not in the bundle")


def test_missing_form_key_file():
    files = without(bundle("camunda"), "triage.json")
    assert the_problem(files) == Problem(
        CAMUNDA_BPMN, line_of(files[CAMUNDA_BPMN], '<bpmn:userTask id="Task_triage"'), "Task_triage",
        "form 'triage.json' is not in the bundle")


def test_form_key_that_is_not_a_json_file():
    files = edit(bundle("camunda"), CAMUNDA_BPMN, "embedded:deployment:triage.json", "app:triage.jsf")
    problem = the_problem(files)
    assert (problem.element, problem.line) == ("Task_triage", line_of(files[CAMUNDA_BPMN], 'id="Task_triage"'))
    assert problem.message.startswith("camunda:formKey 'app:triage.jsf' names no .json form")


def test_missing_ui_schema_file():
    files = without(bundle("spiff"), "request-uischema.json")
    problem = the_problem(files)
    assert (problem.element, problem.message) == (
        "StartEvent_requested", "form 'request-uischema.json' is not in the bundle")


def test_missing_dmn_decision_spiff():
    files = without(bundle("spiff"), "access-level.dmn")
    assert the_problem(files) == Problem(
        SPIFF_BPMN, line_of(files[SPIFF_BPMN], '<bpmn:businessRuleTask'), "Task_decide_level",
        "decision 'access_level' is not in the bundle (decisions in the bundle: none)")


def test_missing_dmn_decision_camunda():
    files = edit(bundle("camunda"), CAMUNDA_BPMN, 'decisionRef="incident_priority"', 'decisionRef="priority"')
    assert the_problem(files) == Problem(
        CAMUNDA_BPMN, line_of(files[CAMUNDA_BPMN], '<bpmn:businessRuleTask'), "Task_priority",
        "decision 'priority' is not in the bundle (decisions in the bundle: incident_priority)")


def test_camunda_business_rule_task_without_decision_ref():
    # SpiffWorkflow's Camunda parser dies with KeyError on this one.
    files = edit(bundle("camunda"), CAMUNDA_BPMN, ' camunda:decisionRef="incident_priority"', "")
    problem = the_problem(files)
    assert (problem.file, problem.element) == (CAMUNDA_BPMN, "Task_priority")
    assert problem.line == line_of(files[CAMUNDA_BPMN], "<bpmn:businessRuleTask")
    assert problem.message.startswith("business rule task names no decision")


def test_dmn_file_with_two_decisions():
    files = bundle("spiff")
    second = b'<decision id="other" name="Other"><literalExpression><text>1</text></literalExpression></decision>'
    dmn = files["access-level.dmn"].replace(b"  <dmndi:DMNDI>", second + b"\n  <dmndi:DMNDI>")
    problem = the_problem({**files, "access-level.dmn": dmn})
    assert (problem.file, problem.line) == ("access-level.dmn", 2)
    assert problem.message.startswith("this DMN file has 2 decisions")


def test_decision_without_table():
    files = bundle("spiff")
    dmn = (b'<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"'
           b' id="d" name="d" namespace="x">\n  <decision id="access_level" name="Level">\n'
           b'    <literalExpression><text>"standard"</text></literalExpression>\n  </decision>\n</definitions>\n')
    assert the_problem({**files, "access-level.dmn": dmn}) == Problem(
        "access-level.dmn", 3, "access_level",
        "the decision has no decision table (the engine runs decision tables only)")


def test_missing_called_process():
    files = without(bundle("camunda"), "review.bpmn")
    problems = problems_of(files)
    assert problems == [Problem(CAMUNDA_BPMN, line_of(files[CAMUNDA_BPMN], "<bpmn:callActivity"), "Call_review",
                                "called process 'incident_review' is not in the bundle")]


def test_called_process_that_is_not_executable():
    files = edit(bundle("camunda"), "review.bpmn", 'isExecutable="true"', 'isExecutable="false"')
    assert the_problem(files).message == (
        "called process 'incident_review' is not executable: set isExecutable=\"true\" on it")


# --- models SpiffWorkflow cannot run -------------------------------------------------

def test_no_executable_process():
    files = edit(bundle("spiff"), SPIFF_BPMN, 'isExecutable="true"', 'isExecutable="false"')
    assert the_problem(files) == Problem(
        SPIFF_BPMN, line_of(files[SPIFF_BPMN], "<bpmn:process"), "access_request",
        'no executable process: set isExecutable="true" on the process to run it')


def model(body: str, executable: bool = True, extra: str = "") -> dict[str, bytes]:
    """A one-file bundle around a process body (no diagram: these are never drawn)."""
    flag = "true" if executable else "false"
    return {"m.bpmn": (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="http://example.org">\n'
        f'{extra}<bpmn:process id="p" isExecutable="{flag}">\n'
        '<bpmn:startEvent id="start"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="a"/>\n'
        f'{body}\n</bpmn:process>\n</bpmn:definitions>\n').encode()}


def test_complex_gateway_is_refused():
    files = model('<bpmn:complexGateway id="a"/>')
    assert the_problem(files) == Problem("m.bpmn", 6, "a", "complexGateway is not supported by the engine")


def test_task_with_two_unconditioned_outgoing_flows_is_refused():
    files = model('<bpmn:task id="a"/>\n<bpmn:endEvent id="e1"/>\n<bpmn:endEvent id="e2"/>\n'
                  '<bpmn:sequenceFlow id="f1" sourceRef="a" targetRef="e1"/>\n'
                  '<bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="e2"/>')
    problem = the_problem(files)
    assert (problem.line, problem.element) == (6, "a")
    assert problem.message.startswith("this activity has several outgoing sequence flows; the engine needs a gateway")


DATA_STORE = '<bpmn:dataStore id="store" name="CMDB"/>\n'
WRITES_TO_STORE = ('<bpmn:task id="a"><bpmn:dataOutputAssociation id="o"><bpmn:targetRef>ref</bpmn:targetRef>'
                   '</bpmn:dataOutputAssociation></bpmn:task>\n<bpmn:dataStoreReference id="ref" dataStoreRef="store"/>')


def test_data_store_used_by_an_executable_process():
    problem = the_problem(model(WRITES_TO_STORE, extra=DATA_STORE))
    assert (problem.line, problem.element) == (7, "a")
    assert "data stores are not supported" in problem.message


def test_data_store_in_a_descriptive_model_is_only_not_executable():
    problem = the_problem(model(WRITES_TO_STORE, executable=False, extra=DATA_STORE))
    assert problem.message.startswith("no executable process")


def test_timer_without_time():
    files = model('<bpmn:intermediateCatchEvent id="a"><bpmn:timerEventDefinition id="t"/></bpmn:intermediateCatchEvent>')
    assert the_problem(files) == Problem("m.bpmn", 6, "a", "the timer has no date, duration or cycle: set one")


def test_camunda_service_task_without_a_hook():
    files = model('<bpmn:serviceTask id="a" camunda:expression="not an expression"/>')
    problem = the_problem(files)
    assert (problem.line, problem.element) == (6, "a")
    assert problem.message.startswith('the service task names no hook: set camunda:type="external"')


@pytest.mark.parametrize("attributes, hook", [
    ('camunda:type="external" camunda:topic="notify"', "notify"),
    ('camunda:class="org.example.NotifyDelegate"', "org.example.NotifyDelegate"),
    ('camunda:delegateExpression="${notifyDelegate}"', "notifyDelegate"),
    ('camunda:expression="${mailer.send(execution, requester)}"', "mailer.send"),
])
def test_camunda_delegates_name_the_hook_to_run(attributes, hook):
    [process] = load_bundle(model(f'<bpmn:serviceTask id="a" {attributes}/>')).processes
    assert process.spec.task_specs["a"].extensions["camunda"]["topic"] == hook


def test_spiff_service_task_without_operator():
    problem = the_problem(model('<bpmn:serviceTask id="a"/>'))
    assert problem.message.startswith("the service task names no hook: add a spiffworkflow:serviceTaskOperator")


def test_duplicate_process_ids_across_files():
    files = {**model('<bpmn:endEvent id="a"/>'), "n.bpmn": model('<bpmn:endEvent id="a"/>')["m.bpmn"]}
    assert the_problem(files) == Problem("n.bpmn", 3, "p", "Duplicate process ID: p")


def test_mixing_dialects_is_refused():
    files = bundle("camunda")
    files["extra.bpmn"] = bundle("spiff")[SPIFF_BPMN]
    problems = problems_of(files)
    assert problems[0].file == "extra.bpmn" and problems[0].element == "StartEvent_requested"
    assert problems[0].message.startswith("this bundle mixes SpiffWorkflow extensions with Camunda ones")


# --- smaller rules --------------------------------------------------------------------

def test_plain_tasks_are_human_tasks_too():
    # SpiffWorkflow waits for a person on a bpmn:task, so Baton needs to know it.
    files = model('<bpmn:task id="a" name="Call the&#10;customer"/>\n<bpmn:endEvent id="e"/>\n'
                  '<bpmn:sequenceFlow id="f1" sourceRef="a" targetRef="e"/>')
    [loaded] = load_bundle(files).processes
    assert loaded.tasks["a"].name == "Call the customer"


def test_candidate_lists_keep_commas_inside_expressions():
    files = edit(bundle("camunda"), CAMUNDA_BPMN, 'camunda:candidateGroups="service-desk, managers"',
                 'camunda:candidateGroups="${groups_for(impact, \'desk\')}, managers"')
    triage, _ = load_bundle(files).processes
    assert triage.tasks["Task_triage"].candidate_groups == ["${groups_for(impact, 'desk')}", "managers"]


def test_process_without_id():
    files = model('<bpmn:endEvent id="a"/>')
    files["m.bpmn"] = files["m.bpmn"].replace(b'<bpmn:process id="p"', b"<bpmn:process")
    assert the_problem(files) == Problem("m.bpmn", 3, "D", "the process has no id: give it one")


def test_bpmn_without_process():
    files = {"c.bpmn": b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
                       b'id="D" targetNamespace="x"/>'}
    assert the_problem(files) == Problem("c.bpmn", 1, "D", "no process: the BPMN files hold no process to run")


def test_form_that_is_not_utf8():
    files = {**bundle("spiff"), "approve-schema.json": b'{\n"title": "\xff"}'}
    assert the_problem(files) == Problem("approve-schema.json", 2, None, "not UTF-8 text (byte 12)")


def test_form_names_that_match_two_files():
    files = {**bundle("spiff"), "a/approve-schema.json": b"{}", "b/approve-schema.json": b"{}"}
    files = without(files, "approve-schema.json")
    assert the_problem(files).message == (
        "form 'approve-schema.json' is ambiguous (a/approve-schema.json, b/approve-schema.json)")


def test_form_found_by_its_path():
    files = {**without(bundle("spiff"), "approve-schema.json"),
             "forms/access/approve-schema.json": bundle("spiff")["approve-schema.json"]}
    [loaded] = load_bundle(files).processes
    assert loaded.tasks["Task_approve"].form.schema["title"] == "Approve access"


def test_a_flow_to_a_missing_element_is_reported_on_the_flow():
    from tests.support.bpmn import linear_process
    bpmn = linear_process("dangling", ("userTask", "pick", "Pick", {}, None)).decode()
    bpmn = bpmn.replace('targetRef="end"', 'targetRef="finish"', 1)
    problems = validate_files({"d.bpmn": bpmn.encode()})
    assert len(problems) == 1
    problem = problems[0]
    assert problem.file == "d.bpmn" and problem.element == "f2" and problem.line is not None
    assert problem.message == "targetRef 'finish' names no element in this file"
