"""POST /instances/{id}/migrate: moving an instance to another version of its process."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from app.models import AuditEvent
from app.web.pages.history import tell
from tests.support.bpmn import linear_process, user

V1 = linear_process("leave", user("review", "Review"))
V2 = linear_process("leave", user("review", "Review the request"), user("approve", "Approve"))
V3 = linear_process("leave", user("check", "Check"))


@pytest.fixture
def case(api) -> dict:
    """Dave's case on version 1, waiting at its review; versions 2 and 3 deployed since."""
    assert api.deploy([("leave.bpmn", V1)]).status_code == 201
    started = api.post("/definitions/leave/instances", as_="dave", json={}).get_json()
    for version in (V2, V3):
        assert api.deploy([("leave.bpmn", version)]).status_code == 201
    return started


def test_an_admin_moves_the_instance_and_gets_it_back(api, case):
    response = api.post(f"/instances/{case['id']}/migrate", json={"version": 2})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["definition"] == {"key": "leave", "version": 2}
    [task] = body["open_tasks"]
    assert (task["id"], task["label"]) == (case["open_tasks"][0]["id"], "Review the request")
    history = api.get(f"/instances/{case['id']}/history").get_json()
    assert [(e["type"], e["actor"], e["data"]) for e in history if e["type"] == "instance_migrated"] == [
        ("instance_migrated", "admin", {"from_version": 1, "to_version": 2})]


def test_an_instance_that_cannot_move_is_409_with_the_reasons(api, case, counts):
    before = counts()
    response = api.post(f"/instances/{case['id']}/migrate", json={"version": 3})
    assert response.status_code == 409
    assert response.get_json() == {
        "error": "conflict", "message": f"Instance {case['id']} cannot move to version 3.",
        "reasons": ["The step 'Review' (review) waiting in version 1 does not exist in version 3."]}
    assert counts() == before


def test_a_missing_or_bad_version_is_422(api, case, counts):
    before = counts()
    for body in ({}, {"version": "two"}, {"version": 0}, {"version": 1.5}, {"version": None}, {"version": 2**40}):
        response = api.post(f"/instances/{case['id']}/migrate", json=body)
        assert response.status_code == 422, body
        assert "version" in response.get_json()["fields"], body
    assert counts() == before


def test_auditors_and_other_people_may_not_move_instances(api, case, counts):
    before = counts()
    for who in ("auditor", "dave"):
        response = api.post(f"/instances/{case['id']}/migrate", as_=who, json={"version": 2})
        assert response.status_code == 403
    assert counts() == before


def test_unknown_instances_and_versions_are_404(api, case):
    assert api.post("/instances/999/migrate", json={"version": 2}).status_code == 404
    response = api.post(f"/instances/{case['id']}/migrate", json={"version": 9})
    assert response.status_code == 404
    assert response.get_json()["message"] == "Process 'leave' has no version 9."


def test_the_history_tells_the_move_in_words():
    moved = AuditEvent(type="instance_migrated", element=None, actor="alice",
                       at=datetime(2026, 1, 5, tzinfo=timezone.utc), data={"from_version": 1, "to_version": 2})
    [entry] = tell([moved], {}, {"alice": "Alice Adams"})
    assert entry.text == "Alice Adams moved the case from version 1 to version 2"
