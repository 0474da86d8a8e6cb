"""Reading definitions: the catalogue, a definition's versions, its BPMN as deployed."""
from __future__ import annotations

from datetime import datetime, timedelta

from tests.web.conftest import DATA, folder_files


def test_the_catalogue_lists_the_latest_version_of_each_definition(deployed):
    files = dict(folder_files("laptop"))
    files["review.uischema.json"] = b"{}"
    assert deployed.deploy(list(files.items())).get_json()["definitions"][0]["version"] == 2
    response = deployed.get("/definitions", as_="dave")
    assert response.status_code == 200
    assert response.get_json() == [
        {"key": "expense", "name": "Expense claim", "latest_version": 1, "description": "",
         "category": "Cases", "startable": True},
        {"key": "laptop_request", "name": "Laptop request", "latest_version": 2,
         "description": "Ask for a new laptop; an agent reviews, IT hands it over.",
         "category": "Assets & software", "startable": True},
    ]


def test_an_empty_catalogue(api):
    assert api.get("/definitions", as_="auditor").get_json() == []


def test_a_definition_with_its_versions(deployed, clock):
    files = dict(folder_files("laptop"))
    files["review.uischema.json"] = b"{}"
    clock.advance(hours=1)
    deployed.deploy(list(files.items()), as_="admin")
    response = deployed.get("/definitions/laptop_request", as_="auditor")
    assert response.status_code == 200
    body = response.get_json()
    assert body["key"] == "laptop_request" and body["name"] == "Laptop request"
    assert [v["version"] for v in body["versions"]] == [1, 2]
    assert [v["deployed_by"] for v in body["versions"]] == ["owner", "admin"]
    first, second = body["versions"]
    assert datetime.fromisoformat(first["deployed_at"]) == clock.now() - timedelta(hours=1)
    assert datetime.fromisoformat(second["deployed_at"]) == clock.now()
    assert second["deployed_at"].endswith("+00:00")
    assert len(first["hash"]) == 64 and first["hash"] != second["hash"]


def test_the_bpmn_as_deployed(deployed):
    response = deployed.get("/definitions/laptop_request/versions/1/bpmn", as_="auditor")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.get_data() == (DATA / "laptop/laptop_request.bpmn").read_bytes()


def test_unknown_definitions_and_versions_are_404(deployed):
    for path in ("/definitions/nope", "/definitions/nope/versions/1/bpmn",
                 "/definitions/laptop_request/versions/2/bpmn", "/definitions/laptop_request/versions/x/bpmn"):
        response = deployed.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"] == "not_found"
