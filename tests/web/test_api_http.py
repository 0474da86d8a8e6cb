"""The API over real HTTP: a werkzeug server on a loopback port, spoken to with requests."""
from __future__ import annotations

import threading

import pytest
import requests
from werkzeug.serving import make_server

from tests.web.conftest import folder_files


@pytest.fixture
def base_url(app, tokens):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1"
    server.shutdown()
    thread.join(timeout=10)


def test_a_request_from_deploy_to_completion_over_http(base_url, tokens):
    with requests.Session() as http:
        assert http.get(f"{base_url}/health", timeout=10).json() == {"status": "ok", "database": "ok"}
        assert http.get(f"{base_url}/tasks", timeout=10).status_code == 401

        def headers(who: str) -> dict:
            return {"Authorization": f"Bearer {tokens[who]}"}

        deployed = http.post(f"{base_url}/deployments", headers=headers("owner"), timeout=30,
                             files=[("files", (name, content)) for name, content in folder_files("laptop")])
        assert deployed.status_code == 201, deployed.text
        started = http.post(f"{base_url}/definitions/laptop_request/instances", headers=headers("dave"),
                            json={"data": {"model": "T14"}}, timeout=10)
        assert started.status_code == 201 and started.headers["Content-Type"] == "application/json", started.text
        instance = started.json()
        task_id = instance["open_tasks"][0]["id"]

        malformed = http.post(f"{base_url}/tasks/{task_id}/complete", headers={
            **headers("alice"), "Content-Type": "application/json"}, data=b"{", timeout=10)
        assert malformed.status_code == 400 and malformed.json()["error"] == "malformed"
        invalid = http.post(f"{base_url}/tasks/{task_id}/complete", headers=headers("alice"),
                            json={"data": {"decision": "perhaps"}}, timeout=10)
        assert invalid.status_code == 422 and "decision" in invalid.json()["fields"]

        completed = http.post(f"{base_url}/tasks/{task_id}/complete", headers=headers("alice"),
                              json={"data": {"decision": "approve"}}, timeout=10)
        assert completed.status_code == 200, completed.text
        assert completed.json()["open_tasks"][0]["name"] == "fulfil"
        current = http.get(f"{base_url}/instances/{instance['id']}", headers=headers("dave"), timeout=10)
        assert current.json() == completed.json()
        bpmn = http.get(f"{base_url}/definitions/laptop_request/versions/1/bpmn", headers=headers("auditor"),
                        timeout=10)
        assert bpmn.headers["Content-Type"].startswith("application/xml")
        assert bpmn.content == dict(folder_files("laptop"))["laptop_request.bpmn"]
