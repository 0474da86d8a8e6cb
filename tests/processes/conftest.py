"""Fixtures for the shipped processes' tests: a process owner who deploys a
folder of ``bpmn/`` the way ``baton deploy`` does (forms from ``forms/``), and
a quick way to make the people who work on a process, and a shipped decision
table run on its own."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.engine.bundle import load_bundle
from app.engine.runtime import WorkflowRun
from app.services import deployments
from app.services.bundles import collect_bundle

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """The shipped processes' path tests run on SQLite; those marked
    ``also_on_postgres`` (each process's main path, and the paths that query
    the store) run on PostgreSQL too. A path is the engine's and the services'
    work, which tests/services and tests/web run on both databases; running
    all twelve processes' hundreds of paths twice would double the suite's
    longest part for little more."""
    kept, dropped = [], []
    for item in items:
        on_postgres = item.get_closest_marker("postgres") is not None
        here = HERE in Path(item.path).resolve().parents
        if here and on_postgres and item.get_closest_marker("also_on_postgres") is None:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def bundle_of(process: str) -> dict[str, bytes]:
    """The files ``baton deploy bpmn/<process>`` would deploy."""
    return collect_bundle(REPO / "bpmn" / process)


_DECIDE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="decide-definitions" targetNamespace="test">
  <bpmn:process id="decide" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="decision"><bpmn:extensionElements>
      <spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decision" />
    <bpmn:sequenceFlow id="f2" sourceRef="decision" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def decision_table(process: str, dmn_file: str, decision: str) -> Callable[[dict], dict]:
    """A shipped decision table run by the engine on its own: inputs -> the data after it."""
    (model,) = load_bundle({"decide.bpmn": _DECIDE.format(decision=decision).encode(),
                            dmn_file: (REPO / "bpmn" / process / dmn_file).read_bytes()}).processes

    def decide(inputs: dict) -> dict:
        run = WorkflowRun.start(model.spec, model.subprocess_specs, model.flavour, dict(inputs))
        assert run.status == "completed"
        return run.data
    return decide


@pytest.fixture
def deploy_process(make_user):
    """Deploy a shipped process as a process owner; returns the deploy result."""
    owner = make_user("process-owner", role="owner")

    def deploy(process: str):
        return deployments.deploy(bundle_of(process), owner, source="test")
    return deploy


@pytest.fixture
def deployed_desk(app, clock, deploy_process):
    """deployed_desk(process, name) → a Desk on the process, deployed as version 1 named ``name``."""
    from .driver import Desk

    def deploy(process: str, name: str) -> Desk:
        result = deploy_process(process)
        assert [(d.key, d.name, d.version, d.new) for d in result.definitions] == [(process, name, 1, True)]
        return Desk(process, app, clock)
    return deploy
