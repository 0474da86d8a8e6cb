"""The modeller's use cases: opening a version, a template or a blank diagram,
checking an edited diagram within its bundle, and deploying it."""
from __future__ import annotations

import json
import re

import pytest

from app.services import definitions, modeller
from app.services.errors import Forbidden, InvalidDeployment, NotFound
from tests.support.bpmn import linear_process, user

FORM = json.dumps({"type": "object", "properties": {"ok": {"type": "boolean", "title": "OK?"}}}).encode()


def review_process(pid: str = "review") -> str:
    """start → "Review" (a user task whose form is a file of the bundle) → end."""
    return linear_process(pid, user("check", "Review", camunda_formKey="review-form.json"), name="Review").decode()


@pytest.fixture
def owner(make_user):
    return make_user("olga", role="owner")


@pytest.fixture
def version_1(deploy):
    deploy({"review.bpmn": review_process().encode(), "review-form.json": FORM})


@pytest.fixture
def template(tmp_path, monkeypatch):
    """A shipped-process folder as the repository has them: bpmn/<name>/ and forms/<name>/."""
    (tmp_path / "bpmn" / "intake").mkdir(parents=True)
    (tmp_path / "forms" / "intake").mkdir(parents=True)
    (tmp_path / "bpmn" / "intake" / "intake.bpmn").write_text(review_process("intake"))
    (tmp_path / "forms" / "intake" / "review-form.json").write_bytes(FORM)
    monkeypatch.setattr(modeller, "TEMPLATES", tmp_path / "bpmn")
    return "intake"


def without_end_flow(xml: str) -> str:
    """The diagram with the flow into the end event deleted, as bpmn-js deletes it."""
    xml = re.sub(r'<bpmn:sequenceFlow id="f2"[^>]*/>', "", xml)
    xml = re.sub(r'<bpmndi:BPMNEdge id="f2_di".*?</bpmndi:BPMNEdge>', "", xml)
    return xml.replace("<bpmn:outgoing>f2</bpmn:outgoing>", "").replace("<bpmn:incoming>f2</bpmn:incoming>", "")


def test_opens_a_version_a_template_and_a_blank_diagram(version_1, template, owner):
    xml, origin = modeller.open_source(owner, key="review", version=1)
    assert xml == review_process() and (origin.kind, origin.key, origin.version) == ("version", "review", 1)
    assert origin.title == "Review (version 1)"

    xml, origin = modeller.open_source(owner, template="intake")
    assert 'id="intake"' in xml and (origin.kind, origin.template) == ("template", "intake")

    blank, origin = modeller.open_source(owner)
    other, _ = modeller.open_source(owner)
    assert origin.kind == "blank" and "<bpmn:startEvent" in blank and "<bpmndi:BPMNShape" in blank
    process_id = re.search(r'<bpmn:process id="([^"]+)"', blank).group(1)
    assert process_id not in other          # a fresh id each time
    assert modeller.check(owner, blank) == []

    found = modeller.sources(owner)
    assert [(p.key, p.versions) for p in found.processes] == [("review", (1,))]
    assert [(t.name, t.title) for t in found.templates] == [("intake", "Review")]


def test_the_shipped_processes_are_the_templates(owner):
    names = [t.name for t in modeller.sources(owner).templates]
    assert "incident" in names and "service-request" in names
    xml, _ = modeller.open_source(owner, template="incident")
    assert 'isExecutable="true"' in xml


def test_check_sees_the_versions_forms_and_marks_the_element(version_1, owner):
    xml, _ = modeller.open_source(owner, key="review", version=1)
    assert modeller.check(owner, xml, key="review", version=1) == []   # its form comes along

    problems = modeller.check(owner, without_end_flow(xml), key="review", version=1)
    assert [(p.element, p.file) for p in problems] == [("end", "review.bpmn")]
    assert "nothing leads to this step" in problems[0].message and problems[0].line

    # A flow whose target was removed is marked on the flow, and the end event it
    # no longer reaches has a problem of its own.
    broken = xml.replace('sourceRef="check" targetRef="end"', 'sourceRef="check" targetRef="gone"')
    assert [p.element for p in modeller.check(owner, broken, key="review", version=1)] == ["f2", "end"]

    # Without its bundle the same diagram misses its form.
    assert any("review-form.json" in p.message for p in modeller.check(owner, xml))


def test_deploying_an_edited_version_makes_the_next_one_with_its_forms(version_1, owner):
    xml, _ = modeller.open_source(owner, key="review", version=1)
    edited = xml.replace('name="Review"', 'name="Review the request"', 1)

    result = modeller.deploy(owner, edited, key="review", version=1)
    assert [(d.key, d.version, d.new) for d in result.definitions] == [("review", 2, True)]
    second = definitions.get_version("review", 2)
    assert set(second.files) == {"review.bpmn", "review-form.json"}
    assert 'name="Review the request"' in second.files["review.bpmn"]
    assert second.deployment.source == "modeller"

    again = modeller.deploy(owner, edited, key="review", version=2)
    assert [(d.version, d.new) for d in again.definitions] == [(2, False)]


def test_a_diagram_with_problems_deploys_nothing(version_1, owner):
    xml, _ = modeller.open_source(owner, key="review", version=1)
    with pytest.raises(InvalidDeployment) as refused:
        modeller.deploy(owner, without_end_flow(xml), key="review", version=1)
    assert [p.element for p in refused.value.problems] == ["end"]
    assert [v.version for v in definitions.versions("review")] == [1]


def test_deploying_a_template(template, owner):
    xml, _ = modeller.open_source(owner, template="intake")
    result = modeller.deploy(owner, xml, template="intake")
    assert [(d.key, d.version) for d in result.definitions] == [("intake", 1)]
    assert set(definitions.get_version("intake", 1).files) == {"intake.bpmn", "review-form.json"}


def test_a_blank_diagram_deploys_under_its_process_id(owner):
    blank, _ = modeller.open_source(owner)
    result = modeller.deploy(owner, blank)
    key = result.definitions[0].key
    assert key.startswith("Process_") and definitions.get_version(key, 1).bpmn_file == f"{key}.bpmn"


def test_only_owners_and_admins(version_1, template, make_user):
    xml = review_process()
    for person in (make_user("aud", role="auditor"), make_user("ann")):
        for use in (lambda: modeller.sources(person),
                    lambda: modeller.open_source(person, key="review", version=1),
                    lambda: modeller.open_source(person, template="intake"),
                    lambda: modeller.check(person, xml, key="review", version=1),
                    lambda: modeller.deploy(person, xml, key="review", version=1)):
            with pytest.raises(Forbidden):
                use()
    admin = make_user("root", role="admin")
    assert modeller.check(admin, xml, key="review", version=1) == []
    assert [v.version for v in definitions.versions("review")] == [1]


def test_unknown_sources(version_1, template, owner):
    for where in ({"key": "review", "version": 7}, {"key": "nope", "version": 1}, {"template": "../forms"},
                  {"template": "nope"}):
        with pytest.raises(NotFound):
            modeller.open_source(owner, **where)
