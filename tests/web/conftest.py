"""Fixtures for the API tests: people with tokens, a client that speaks as one
of them, and the test processes deployed through the API itself."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, DefinitionVersion, HumanTask, Instance, db
from app.services import users

DATA = Path(__file__).parent / "data"

# name -> (groups, role)
PEOPLE = {
    "admin": ([], "admin"),
    "owner": ([], "owner"),
    "auditor": ([], "auditor"),
    "alice": (["agents"], "user"),        # may work the laptop review
    "bob": (["agents"], "user"),
    "ivan": (["it"], "user"),             # hands laptops over
    "carol": (["managers"], "user"),      # approves expense claims as ${manager}
    "fiona": (["finance"], "user"),       # books payments
    "dave": ([], "user"),                 # starts things, belongs to nobody
}


def folder_files(folder: str) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted((DATA / folder).iterdir())]


class ApiClient:
    """Flask's test client under /api/v1, speaking as one of PEOPLE (``as_=``)."""

    def __init__(self, client, tokens: dict[str, str]):
        self.client = client
        self.tokens = tokens

    def call(self, method: str, path: str, as_: str | None = "admin", headers: dict | None = None, **kwargs):
        headers = dict(headers or {})
        if as_ is not None:
            headers.setdefault("Authorization", f"Bearer {self.tokens[as_]}")
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.call("POST", path, **kwargs)

    def deploy(self, files: list[tuple[str, bytes]], as_: str = "owner"):
        data = {"files": [(io.BytesIO(content), name) for name, content in files]}
        return self.post("/deployments", as_=as_, data=data, content_type="multipart/form-data")


@pytest.fixture
def tokens(app) -> dict[str, str]:
    with app.app_context():
        return {name: users.add_user(name, groups=groups, role=role)[1]
                for name, (groups, role) in PEOPLE.items()}


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client, tokens) -> ApiClient:
    return ApiClient(client, tokens)


@pytest.fixture
def deployed(api) -> ApiClient:
    """The laptop (spiff) and expense (camunda) processes, deployed by the owner."""
    for folder in ("laptop", "expense"):
        response = api.deploy(folder_files(folder))
        assert response.status_code == 201, response.get_json()
    return api


@pytest.fixture
def laptop(deployed) -> dict:
    """A laptop request started by dave, waiting for the agents' review."""
    response = deployed.post("/definitions/laptop_request/instances", as_="dave",
                             json={"data": {"model": "X1"}, "business_key": "LAP-1"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def review_task_id(laptop) -> str:
    return laptop["open_tasks"][0]["id"]


@pytest.fixture
def counts(app):
    """Row counts of what a refused request must not change: ``counts()`` now."""
    def snapshot() -> dict[str, int]:
        with app.app_context():
            result = {model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
                      for model in (AuditEvent, DefinitionVersion, Instance, HumanTask)}
            result["open_tasks"] = db.session.scalar(
                sa.select(sa.func.count()).select_from(HumanTask).where(HumanTask.state == "open"))
            db.session.remove()
            return result
    return snapshot


@pytest.fixture
def widget_case(app) -> dict:
    """The widget check (tests/support/widgets.py) started by Dave, waiting for the
    agents: {"instance_id", "task_id"}. Its people sign in with widgets.PASSWORD."""
    from tests.support.widgets import start_widget_check

    return start_widget_check(app)
