"""Instances: start, read, list, history, suspend/resume/terminate, and refused input."""
from __future__ import annotations

import pytest

from tests.support.catalogue import service
from tests.web.conftest import folder_files

INSTANCE_KEYS = {"id", "definition", "status", "business_key", "data", "started_at", "ended_at", "started_by",
                 "updated_at", "open_tasks", "incidents", "completed_steps"}


def test_starting_an_instance(laptop):
    assert set(laptop) == INSTANCE_KEYS
    assert laptop["definition"] == {"key": "laptop_request", "version": 1}
    assert laptop["status"] == "running"
    assert laptop["business_key"] == "LAP-1"
    assert laptop["data"]["model"] == "X1"
    assert laptop["started_by"] == "dave"
    assert laptop["started_at"].endswith("+00:00") and laptop["ended_at"] is None
    assert laptop["incidents"] == []
    assert "start" in laptop["completed_steps"]
    [task] = laptop["open_tasks"]
    assert task["name"] == "review" and task["label"] == "Review the request"
    assert task["lane"] == "agents" and task["candidate_groups"] == ["agents"]
    assert task["state"] == "open" and task["assignee"] is None and task["instance_id"] == laptop["id"]


def test_starting_without_a_body_uses_empty_data(deployed):
    response = deployed.post("/definitions/laptop_request/instances", as_="dave")
    assert response.status_code == 201
    assert response.get_json()["business_key"] is None


def test_starting_a_chosen_version(deployed):
    files = dict(folder_files("laptop"))
    files["review.uischema.json"] = b"{}"
    deployed.deploy(list(files.items()))
    latest = deployed.post("/definitions/laptop_request/instances", json={})
    chosen = deployed.post("/definitions/laptop_request/instances", json={"version": 1, "data": {}})
    assert latest.get_json()["definition"]["version"] == 2
    assert chosen.get_json()["definition"]["version"] == 1


def test_starting_unknown_definitions_or_versions_is_404(deployed, counts):
    before = counts()
    assert deployed.post("/definitions/nope/instances", json={}).status_code == 404
    response = deployed.post("/definitions/laptop_request/instances", json={"version": 7})
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    assert counts() == before


def test_an_auditor_cannot_start(deployed, counts):
    before = counts()
    response = deployed.post("/definitions/laptop_request/instances", as_="auditor", json={})
    assert response.status_code == 403
    assert counts() == before


@pytest.mark.parametrize("body, field", [
    ({"data": [1, 2]}, "data"),
    ({"data": "text"}, "data"),
    ({"version": "1"}, "version"),
    ({"version": 1.5}, "version"),
    ({"version": True}, "version"),
    ({"version": 0}, "version"),
    ({"version": 2**40}, "version"),
    ({"business_key": 12}, "business_key"),
    ({"business_key": "x" * 201}, "business_key"),
    ({"colour": "red"}, "colour"),
    ([1, 2, 3], "_body"),
    ("just text", "_body"),
    ({"data": {"_private": 1}}, "_private"),
    ({"data": {"text": "a\u0000b"}}, "_body"),
    ({"data": {"text": "\ud800"}}, "_body"),
])
def test_a_start_body_of_the_wrong_shape_is_422(deployed, counts, body, field):
    before = counts()
    response = deployed.post("/definitions/laptop_request/instances", as_="dave", json=body)
    assert response.status_code == 422, response.get_json()
    result = response.get_json()
    assert result["error"] == "invalid_data"
    assert field in result["fields"], result
    assert all(isinstance(m, str) for m in result["fields"][field])
    assert counts() == before


@pytest.mark.parametrize("raw", [
    b"{not json", b'{"data": {"x": NaN}}', b'{"data": {"x": 1e400}}', b"\xff\xfe",
    b"[" * 100_000 + b"]" * 100_000, b'{"data": {"x": ' + b"9" * 5000 + b"}}",
], ids=["syntax", "nan", "infinite", "not-utf8", "deep", "huge-int"])
def test_a_malformed_body_is_400(deployed, counts, raw):
    before = counts()
    response = deployed.post("/definitions/laptop_request/instances", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "malformed"
    assert counts() == before


def test_a_json_body_without_json_content_type_is_still_read(deployed):
    response = deployed.post("/definitions/laptop_request/instances", data=b"{oops", content_type="text/plain")
    assert response.status_code == 400
    response = deployed.post("/definitions/laptop_request/instances", data=b'{"business_key": "K"}',
                             content_type="text/plain")
    assert response.get_json()["business_key"] == "K"


def test_huge_payloads_are_refused(app, deployed, counts):
    before = counts()
    big = deployed.post("/definitions/laptop_request/instances", json={"data": {"blob": "x" * 2_000_000}})
    assert big.status_code == 422
    assert "_form" in big.get_json()["fields"]
    app.config["MAX_CONTENT_LENGTH"] = 4_000_000
    huge = deployed.post("/definitions/laptop_request/instances", json={"data": {"blob": "x" * 5_000_000}})
    assert huge.status_code == 413
    assert huge.get_json()["error"] == "payload_too_large"
    assert counts() == before


def test_reading_an_instance(laptop, api):
    for who in ("dave", "alice", "admin", "auditor"):
        response = api.get(f"/instances/{laptop['id']}", as_=who)
        assert response.status_code == 200, who
        assert response.get_json() == laptop
    assert api.get(f"/instances/{laptop['id']}", as_="fiona").status_code == 403
    missing = api.get("/instances/9999")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


def test_listing_instances_with_filters(deployed):
    first = deployed.post("/definitions/laptop_request/instances", as_="dave",
                          json={"business_key": "A"}).get_json()
    second = deployed.post("/definitions/expense/instances", as_="dave",
                           json={"data": {"manager": "carol"}, "business_key": "B"}).get_json()
    deployed.post(f"/instances/{second['id']}/suspend", as_="admin")

    def ids(query: str, who: str = "admin") -> list[int]:
        response = deployed.get(f"/instances{query}", as_=who)
        assert response.status_code == 200, response.get_json()
        return [i["id"] for i in response.get_json()]

    assert ids("") == [second["id"], first["id"]]
    assert ids("?definition=laptop_request") == [first["id"]]
    assert ids("?status=suspended") == [second["id"]]
    assert ids("?business_key=A") == [first["id"]]
    assert ids("?definition=expense&status=running") == []
    assert ids("?limit=1") == [second["id"]]
    assert ids("?limit=1&offset=1") == [first["id"]]
    assert ids("", who="dave") == [second["id"], first["id"]]
    assert ids("", who="carol") == [second["id"]]
    assert ids("", who="fiona") == []
    item = deployed.get("/instances?business_key=A").get_json()[0]
    assert item["definition"] == {"key": "laptop_request", "version": 1} and item["status"] == "running"


@pytest.mark.parametrize("query, field", [
    ("status=sleeping", "status"), ("limit=0", "limit"), ("limit=100000", "limit"), ("limit=many", "limit"),
    ("offset=-1", "offset"), ("offset=99999999999999999999", "offset"), ("definition=a%00b", "definition"),
    ("business_key=%00", "business_key"),
])
def test_bad_list_filters_are_422(api, query, field):
    response = api.get(f"/instances?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["fields"]


def test_the_allowed_statuses_are_named(api):
    message = api.get("/instances?status=sleeping").get_json()["fields"]["status"][0]
    for status in ("running", "completed", "terminated", "suspended", "failed"):
        assert status in message


def test_history_oldest_first(laptop, api):
    response = api.get(f"/instances/{laptop['id']}/history", as_="dave")
    assert response.status_code == 200
    events = response.get_json()
    assert events[0]["type"] == "instance_started" and events[0]["actor"] == "dave"
    assert all(set(e) == {"at", "type", "actor", "element", "data"} for e in events)
    assert any(e["type"] == "task_opened" and e["element"] == "review" for e in events)
    assert api.get(f"/instances/{laptop['id']}/history", as_="fiona").status_code == 403
    assert api.get("/instances/9999/history").status_code == 404


def test_suspend_resume_terminate(laptop, api, review_task_id):
    url = f"/instances/{laptop['id']}"
    suspended = api.post(f"{url}/suspend", as_="dave", json={"reason": "on hold"})
    assert suspended.status_code == 200 and suspended.get_json()["status"] == "suspended"
    blocked = api.post(f"/tasks/{review_task_id}/complete", as_="alice", json={"data": {"decision": "approve"}})
    assert blocked.status_code == 409
    assert api.post(f"{url}/suspend").status_code == 409
    resumed = api.post(f"{url}/resume")
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "running"
    terminated = api.post(f"{url}/terminate", json={"reason": "not needed"})
    body = terminated.get_json()
    assert terminated.status_code == 200 and body["status"] == "terminated"
    assert body["open_tasks"] == [] and body["ended_at"] is not None
    for action in ("suspend", "resume", "terminate"):
        response = api.post(f"{url}/{action}")
        assert response.status_code == 409, action
        assert response.get_json()["error"] == "conflict"
    history = api.get(f"{url}/history").get_json()
    suspended_event = next(e for e in history if e["type"] == "instance_suspended")
    assert suspended_event["actor"] == "dave" and suspended_event["data"] == {"reason": "on hold"}


def test_status_changes_refused_leave_the_instance_alone(laptop, api, counts):
    url = f"/instances/{laptop['id']}"
    before = counts()
    assert api.post(f"{url}/suspend", as_="auditor").status_code == 403
    assert api.post(f"{url}/terminate", as_="alice").status_code == 403
    assert api.post(f"{url}/suspend", json={"reason": 5}).status_code == 422
    assert api.post(f"{url}/suspend", data=b"{", content_type="application/json").status_code == 400
    assert api.post("/instances/9999/suspend").status_code == 404
    assert counts() == before
    assert api.get(url).get_json()["status"] == "running"


def test_only_its_starter_groups_start_a_process_that_names_them(api, counts):
    files = service("onboard", "Onboard a new hire", starter_groups="finance")
    assert api.deploy([(name, text) for name, text in files.items()]).status_code == 201
    before = counts()
    refused = api.post("/definitions/onboard/instances", as_="dave", json={})
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "Only the finance group may start this."
    assert counts() == before
    assert api.post("/definitions/onboard/instances", as_="fiona", json={}).status_code == 201
