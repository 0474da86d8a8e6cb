"""POST /messages, as API.md describes it: delivered, started, 404, a message
id applied once, and bad bodies answered 422 with the field named."""
from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parents[1] / "engine" / "data" / "messages"


def _deploy(api, *names: str) -> None:
    assert api.deploy([(n, (DATA / n).read_bytes()) for n in names]).status_code == 201


def test_a_message_reaches_the_waiting_instance_it_correlates_with(api):
    _deploy(api, "spiff_ticket_waits.bpmn")
    ids = [api.post("/definitions/ticket_waits/instances", as_="dave", json={"data": {"ticket_id": n}}).get_json()["id"]
           for n in (7, 8)]
    sent = api.post("/messages", as_="dave", json={"name": "ticket_update", "correlation": {"ticket_id": 8},
                                                   "data": {"status": "fixed"}, "message_id": "m-1"})
    assert sent.status_code == 200
    assert sent.get_json() == {"delivered_to": [ids[1]], "started": [], "duplicate": False}
    instance = api.get(f"/instances/{ids[1]}", as_="dave").get_json()
    assert [t["name"] for t in instance["open_tasks"]] == ["review"]
    again = api.post("/messages", as_="dave", json={"name": "ticket_update", "correlation": {"ticket_id": 8},
                                                    "message_id": "m-1"})
    assert again.status_code == 200 and again.get_json() == {"delivered_to": [ids[1]], "started": [], "duplicate": True}


def test_a_message_start_event_answers_the_started_instance(api):
    _deploy(api, "camunda_inbound_email.bpmn")
    sent = api.post("/messages", as_="dave", json={"name": "email_received", "data": {"sender": "a@example.org"}})
    [started] = sent.get_json()["started"]
    assert api.get(f"/instances/{started}", as_="dave").get_json()["definition"]["key"] == "camunda_inbound_email"


def test_nothing_waiting_is_404_and_bad_bodies_are_422(api):
    missing = api.post("/messages", as_="dave", json={"name": "nobody_waits"})
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    for body, field in (({}, "name"), ({"name": ""}, "name"), ({"name": "x", "data": [1]}, "data"),
                        ({"name": "x", "correlation": "abc"}, "correlation"),
                        ({"name": "x", "message_id": 5}, "message_id")):
        refused = api.post("/messages", as_="dave", json=body)
        assert refused.status_code == 422, body
        assert field in str(refused.get_json()), (body, refused.get_json())
    assert api.post("/messages", as_="auditor", json={"name": "x"}).status_code == 403
    assert api.post("/messages", as_=None, json={"name": "x"}).status_code == 401
