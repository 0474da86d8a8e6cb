"""GET /incidents and POST /incidents/{id}/retry, as API.md describes them."""
from __future__ import annotations

from tests.support.cases import CALC


def _failed_calculation(api) -> int:
    assert api.deploy([("calc.bpmn", CALC)]).status_code == 201
    started = api.post("/definitions/calc/instances", as_="dave", json={"data": {}}).get_json()
    done = api.post(f"/tasks/{started['open_tasks'][0]['id']}/complete", as_="dave", json={"data": {}})
    assert done.get_json()["status"] == "failed"
    return started["id"]


def test_open_incidents_and_who_sees_them(api):
    instance_id = _failed_calculation(api)
    [incident] = api.get("/incidents", as_="admin").get_json()
    assert {k: incident[k] for k in ("instance_id", "element", "attempts", "line")} == \
        {"instance_id": instance_id, "element": "compute", "attempts": 1, "line": 2}
    assert "amount" in incident["message"] and incident["created_at"]
    assert api.get("/incidents", as_="auditor").get_json() == [incident]
    assert api.get("/incidents", as_="dave").get_json() == [incident]      # the starter
    assert api.get("/incidents", as_="fiona").get_json() == []
    assert api.get("/incidents?limit=0", as_="admin").status_code == 422


def test_retrying_an_incident(api):
    _failed_calculation(api)
    [incident] = api.get("/incidents", as_="admin").get_json()
    assert api.post(f"/incidents/{incident['id']}/retry", as_="dave").status_code == 403
    assert api.post("/incidents/999999/retry", as_="admin").status_code == 404

    # Nothing was fixed, so the script fails again: a new incident replaces the old one.
    retried = api.post(f"/incidents/{incident['id']}/retry", as_="admin")
    assert retried.status_code == 200 and retried.get_json()["status"] == "failed"
    [again] = api.get("/incidents", as_="admin").get_json()
    assert again["id"] != incident["id"]
    gone = api.post(f"/incidents/{incident['id']}/retry", as_="admin")
    assert gone.status_code == 409 and gone.get_json()["error"] == "conflict"
