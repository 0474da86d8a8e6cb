"""Human tasks: the inbox, a task with its form, claim, unclaim, complete, and
every refusal leaving the task as it was."""
from __future__ import annotations

import pytest


def _task_ids(api, query: str = "", who: str = "admin") -> list[str]:
    response = api.get(f"/tasks{query}", as_=who)
    assert response.status_code == 200, response.get_json()
    return [t["id"] for t in response.get_json()]


def test_the_inbox_by_scope(laptop, api, review_task_id):
    assert _task_ids(api, "?scope=candidate", "alice") == [review_task_id]
    assert _task_ids(api, "?scope=mine", "alice") == []
    assert _task_ids(api, "", "alice") == [review_task_id]
    assert _task_ids(api, "", "ivan") == []
    assert _task_ids(api, "?scope=all", "auditor") == [review_task_id]
    assert _task_ids(api, f"?instance={laptop['id']}") == [review_task_id]
    assert _task_ids(api, "?instance=9999") == []
    api.post(f"/tasks/{review_task_id}/claim", as_="alice")
    assert _task_ids(api, "?scope=mine", "alice") == [review_task_id]
    assert _task_ids(api, "?scope=candidate", "bob") == []


def test_completed_tasks_in_the_inbox(laptop, api, review_task_id):
    api.post(f"/tasks/{review_task_id}/complete", as_="alice", json={"data": {"decision": "approve"}})
    assert _task_ids(api, "?state=completed", "alice") == [review_task_id]
    [task] = api.get("/tasks?state=completed", as_="alice").get_json()
    assert task["state"] == "completed" and task["completed_by"] == "alice" and task["completed_at"]


@pytest.mark.parametrize("query, field, allowed", [
    ("scope=everyone", "scope", ("mine", "candidate", "all")),
    ("state=closed", "state", ("open", "completed")),
    ("instance=abc", "instance", ()),
    ("limit=0", "limit", ()),
])
def test_bad_inbox_filters_are_422(api, query, field, allowed):
    response = api.get(f"/tasks?{query}")
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid_data"
    for value in allowed:
        assert value in body["fields"][field][0]


def test_a_task_with_its_form(laptop, api, review_task_id):
    response = api.get(f"/tasks/{review_task_id}", as_="alice")
    assert response.status_code == 200
    task = response.get_json()
    assert task["id"] == review_task_id and task["instance_id"] == laptop["id"]
    assert task["name"] == "review" and task["label"] == "Review the request" and task["lane"] == "agents"
    assert task["candidate_groups"] == ["agents"] and task["assignee"] is None
    assert task["state"] == "open" and task["due_at"] is None
    assert task["form"]["schema"]["required"] == ["decision"]
    assert task["form"]["ui_schema"]["ui:order"] == ["decision", "cost", "comment"]
    assert task["data"]["model"] == "X1"
    assert task["instructions"] == "Check that the model fits the role."


def test_a_task_without_a_form(laptop, api, review_task_id):
    done = api.post(f"/tasks/{review_task_id}/complete", as_="alice", json={"data": {"decision": "approve"}})
    [fulfil] = done.get_json()["open_tasks"]
    task = api.get(f"/tasks/{fulfil['id']}", as_="ivan").get_json()
    assert task["form"] is None and task["lane"] == "it"


def test_reading_a_task_one_may_not_see(laptop, api, review_task_id):
    response = api.get(f"/tasks/{review_task_id}", as_="fiona")
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    missing = api.get("/tasks/no-such-task")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


def test_claim_and_unclaim(laptop, api, review_task_id, counts):
    url = f"/tasks/{review_task_id}"
    claimed = api.post(f"{url}/claim", as_="alice")
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "alice"
    assert api.post(f"{url}/claim", as_="alice").get_json()["assignee"] == "alice"
    before = counts()
    taken = api.post(f"{url}/claim", as_="bob")
    assert taken.status_code == 409 and taken.get_json()["error"] == "conflict"
    assert api.post(f"{url}/unclaim", as_="bob").status_code == 403
    assert api.post(f"{url}/complete", as_="bob", json={"data": {"decision": "approve"}}).status_code == 403
    assert counts() == before
    released = api.post(f"{url}/unclaim", as_="alice")
    assert released.status_code == 200 and released.get_json()["assignee"] is None
    assert api.post(f"{url}/claim", as_="bob").get_json()["assignee"] == "bob"
    types = [e["type"] for e in api.get(f"/instances/{laptop['id']}/history").get_json()]
    assert types.count("task_claimed") == 2 and types.count("task_unclaimed") == 1


@pytest.mark.parametrize("who", ["fiona", "auditor", "ivan"])
def test_people_outside_the_lane_cannot_touch_the_task(laptop, api, review_task_id, counts, who):
    before = counts()
    for action, body in (("claim", None), ("unclaim", None), ("complete", {"data": {"decision": "approve"}})):
        response = api.post(f"/tasks/{review_task_id}/{action}", as_=who, json=body)
        assert response.status_code == 403, (who, action, response.get_json())
    assert counts() == before


def test_unknown_tasks_are_404(api):
    for action in ("claim", "unclaim", "complete"):
        response = api.post(f"/tasks/nope/{action}", json={})
        assert response.status_code == 404
        assert response.get_json()["error"] == "not_found"


def test_completing_a_task(laptop, api, review_task_id):
    response = api.post(f"/tasks/{review_task_id}/complete", as_="alice",
                        json={"data": {"decision": "approve", "cost": 1200, "comment": "fine"}})
    assert response.status_code == 200, response.get_json()
    instance = response.get_json()
    assert instance["id"] == laptop["id"] and instance["status"] == "running"
    assert instance["data"]["decision"] == "approve" and instance["data"]["cost"] == 1200
    assert "review" in instance["completed_steps"]
    [fulfil] = instance["open_tasks"]
    assert fulfil["name"] == "fulfil" and fulfil["lane"] == "it"
    again = api.post(f"/tasks/{review_task_id}/complete", as_="alice", json={"data": {"decision": "approve"}})
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"
    assert api.post(f"/tasks/{review_task_id}/claim", as_="alice").status_code == 409
    done = api.post(f"/tasks/{fulfil['id']}/complete", as_="ivan", json={})
    assert done.status_code == 200
    final = done.get_json()
    assert final["status"] == "completed" and final["open_tasks"] == [] and final["ended_at"]
    assert api.post(f"/instances/{laptop['id']}/suspend").status_code == 409


@pytest.mark.parametrize("data, fields", [
    ({}, {"decision"}),
    ({"decision": "maybe"}, {"decision"}),
    ({"decision": "approve", "cost": "a lot"}, {"cost"}),
    ({"decision": "approve", "cost": -5}, {"cost"}),
    ({"decision": 1, "cost": 1.5}, {"decision", "cost"}),
    ({"decision": "approve", "colour": "red"}, {"colour"}),
])
def test_form_violations_are_422_and_change_nothing(laptop, api, review_task_id, counts, data, fields):
    before = counts()
    response = api.post(f"/tasks/{review_task_id}/complete", as_="alice", json={"data": data})
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error"] == "invalid_data"
    assert set(body["fields"]) == fields
    assert all(body["fields"][f] and all(isinstance(m, str) for m in body["fields"][f]) for f in fields)
    assert counts() == before
    task = api.get(f"/tasks/{review_task_id}", as_="alice").get_json()
    assert task["state"] == "open" and task["assignee"] is None


@pytest.mark.parametrize("body, status, error", [
    ({"data": [1]}, 422, "invalid_data"),
    ({"data": "approve"}, 422, "invalid_data"),
    ({"decision": "approve"}, 422, "invalid_data"),
    (b'{"data": {"decision": "approve"', 400, "malformed"),
    (b'{"data": {"decision": "approve"}} trailing', 400, "malformed"),
])
def test_a_complete_body_of_the_wrong_shape(laptop, api, review_task_id, counts, body, status, error):
    before = counts()
    kwargs = {"data": body, "content_type": "application/json"} if isinstance(body, bytes) else {"json": body}
    response = api.post(f"/tasks/{review_task_id}/complete", as_="alice", **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert counts() == before


def test_a_huge_task_payload_is_refused(app, laptop, api, review_task_id, counts):
    before = counts()
    big = api.post(f"/tasks/{review_task_id}/complete", as_="alice",
                   json={"data": {"decision": "approve", "comment": "x" * 2_000_000}})
    assert big.status_code == 422
    app.config["MAX_CONTENT_LENGTH"] = 1_000_000
    huge = api.post(f"/tasks/{review_task_id}/complete", as_="alice",
                    json={"data": {"decision": "approve", "comment": "x" * 2_000_000}})
    assert huge.status_code == 413
    assert counts() == before


def test_the_camunda_process_assigns_by_expression(deployed, api, counts):
    started = api.post("/definitions/expense/instances", as_="dave", json={"data": {"manager": "carol"}})
    assert started.status_code == 201, started.get_json()
    [approve] = started.get_json()["open_tasks"]
    assert approve["name"] == "approve" and approve["assignee"] == "carol"
    assert [t["id"] for t in api.get("/tasks?scope=mine", as_="carol").get_json()] == [approve["id"]]
    before = counts()
    assert api.get(f"/tasks/{approve['id']}", as_="alice").status_code == 403
    assert api.post(f"/tasks/{approve['id']}/claim", as_="fiona").status_code == 403
    refused = api.post(f"/tasks/{approve['id']}/complete", as_="carol", json={"data": {"amount": "ten"}})
    assert refused.status_code == 422 and "amount" in refused.get_json()["fields"]
    assert counts() == before
    form = api.get(f"/tasks/{approve['id']}", as_="carol").get_json()["form"]
    assert form["schema"]["properties"]["amount"]["type"] == "integer"
    approved = api.post(f"/tasks/{approve['id']}/complete", as_="carol",
                        json={"data": {"amount": 40, "approved": True}})
    assert approved.status_code == 200, approved.get_json()
    [book] = approved.get_json()["open_tasks"]
    assert book["name"] == "book" and book["candidate_groups"] == ["finance"]
    assert api.post(f"/tasks/{book['id']}/complete", as_="alice", json={}).status_code == 403
    paid = api.post(f"/tasks/{book['id']}/complete", as_="fiona", json={})
    assert paid.status_code == 200 and paid.get_json()["status"] == "completed"
