"""Every shipped process against the bar of ../shared/PROCESSES.md: it
validates as ``baton validate`` checks it (BPMN, DMN and forms), its diagram
is documented and drawn for people to read (diagram_checks.py), every human
step says who does it, what it is about and which form it shows (laid out as
form_checks.py says), and a
process people start is in the catalogue with a category and a start form."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from app.cli import main as baton
from app.engine.bundle import load_bundle
from app.services.catalogue import CATEGORY_ORDER

from .conftest import REPO, bundle_of
from .diagram_checks import diagram_problems
from .form_checks import form_problems

SHIPPED = sorted(p.name for p in (REPO / "bpmn").iterdir() if p.is_dir())


def test_the_library_ships_processes():
    assert "service-request" in SHIPPED


def test_baton_validate_accepts_every_shipped_process(tmp_path, monkeypatch):
    monkeypatch.setenv("BATON_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(baton, ["validate", *(str(REPO / "bpmn" / name) for name in SHIPPED)])
    assert result.exit_code == 0, result.output
    assert f"{len(SHIPPED)} path(s) valid" in result.output


@pytest.mark.parametrize("process", SHIPPED)
def test_the_diagram_is_documented_and_readable(process):
    for path in sorted((REPO / "bpmn" / process).glob("*.bpmn")):
        assert diagram_problems(path) == [], path.name


@pytest.mark.parametrize("process", SHIPPED)
def test_every_human_step_says_who_what_and_how(process):
    models = load_bundle(bundle_of(process)).processes
    assert models, process
    for model in models:
        assert model.description, model.key
        for task in model.tasks.values():
            assert task.lane or task.candidate_groups or task.assignee, f"{model.key}: {task.bpmn_id} names nobody"
            assert task.documentation, f"{model.key}: {task.bpmn_id} has no documentation"
            assert task.form is not None, f"{model.key}: {task.bpmn_id} has no form"
            assert form_problems(task.bpmn_id, task.form) == [], model.key
        if model.startable:
            assert model.category in CATEGORY_ORDER, f"{model.key}: category {model.category!r}"
            assert model.start_form is not None, f"{model.key} has no start form"
