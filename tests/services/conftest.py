"""Fixtures for the use-case tests: deploy a process given as BPMN bytes."""
from __future__ import annotations

import pytest

from app.services import deployments


@pytest.fixture
def deploy(make_user):
    """deploy(files) → the deployed definitions, as a process owner."""
    owner = make_user("owner", role="owner")

    def run(files: dict[str, bytes]):
        return deployments.deploy(files, owner, source="test").definitions
    return run
