"""Fixtures for the shipped processes' tests: a process owner who deploys a
folder of ``bpmn/`` the way ``baton deploy`` does (forms from ``forms/``), and
a quick way to make the people who work on a process."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.services import deployments
from app.services.bundles import collect_bundle

REPO = Path(__file__).resolve().parents[2]


def bundle_of(process: str) -> dict[str, bytes]:
    """The files ``baton deploy bpmn/<process>`` would deploy."""
    return collect_bundle(REPO / "bpmn" / process)


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
