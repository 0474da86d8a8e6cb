"""Health, the OpenAPI description, and errors that come from no service:
unknown routes, wrong methods, and unexpected failures (a JSON 500, no traceback)."""
from __future__ import annotations

import re

import pytest

from app import create_app
from app.services import definitions

API_MD_PATHS = {
    "/deployments": {"post"},
    "/definitions": {"get"},
    "/definitions/{key}": {"get"},
    "/definitions/{key}/versions/{version}/bpmn": {"get"},
    "/definitions/{key}/instances": {"post"},
    "/instances": {"get"},
    "/instances/{instance_id}": {"get"},
    "/instances/{instance_id}/history": {"get"},
    "/instances/{instance_id}/suspend": {"post"},
    "/instances/{instance_id}/resume": {"post"},
    "/instances/{instance_id}/terminate": {"post"},
    "/tasks": {"get"},
    "/tasks/{task_id}": {"get"},
    "/tasks/{task_id}/claim": {"post"},
    "/tasks/{task_id}/unclaim": {"post"},
    "/tasks/{task_id}/complete": {"post"},
    "/health": {"get"},
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def test_health_answers_with_a_real_database_round_trip(api):
    response = api.get("/health", as_=None)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_the_database_does_not_answer(tmp_path):
    # A SQLite file in a folder that does not exist cannot be opened: a real failure.
    broken = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/folder/baton.sqlite",
                         "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True})
    response = broken.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}


def _resolve(spec: dict, ref: str):
    node = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_openapi_describes_the_api_of_api_md(api):
    spec = api.get("/openapi.json", as_=None).get_json()
    assert re.fullmatch(r"3\.0\.\d+", spec["openapi"])
    assert spec["info"]["title"] and spec["info"]["version"]
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "a token from `baton user token`"}
    paths = {p.removeprefix("/api/v1"): item for p, item in spec["paths"].items()}
    for path, methods in API_MD_PATHS.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    for path, item in paths.items():
        declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            assert operation["responses"], (path, method)
            names = declared | {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert set(re.findall(r"{(\w+)}", path)) == names, (path, method)
    for ref in _refs(spec):
        assert _resolve(spec, ref) is not None, ref
    assert paths["/health"]["get"]["security"] == []
    error = spec["components"]["schemas"]["Error"]["properties"]
    assert {"error", "message", "fields", "problems"} <= set(error)


@pytest.mark.parametrize("path", ["/nothing", "/instances/1/nothing", "/tasks/x/y/z"])
def test_unknown_api_routes_answer_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_ids_outside_the_column_range_are_404_not_500(api):
    for path in ("/instances/99999999999999999999", "/definitions/x/versions/99999999999999999999/bpmn",
                 "/instances/0"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"] == "not_found"


def test_a_nul_in_a_path_is_404(api):
    for path in ("/tasks/a%00b", "/definitions/a%00b"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"] == "not_found"


def test_a_wrong_method_answers_json_405(api):
    response = api.call("DELETE", "/definitions")
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]
    assert api.get("/tasks/x/complete").status_code == 405


def test_an_unexpected_failure_is_a_json_500_without_traceback(app, api, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode():
        raise RuntimeError("secret internals at /srv/baton/db.py line 42")

    monkeypatch.setattr(definitions, "list_latest", explode)
    response = api.get("/definitions")
    assert response.status_code == 500
    body = response.get_json()
    assert body["error"] == "internal_error"
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_pages_outside_the_api_keep_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
