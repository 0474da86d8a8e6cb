"""The Deployments page: upload, read the check (every problem, or the plan),
deploy; for process owners and admins only, and nothing deployed from a check."""
from __future__ import annotations

import base64
import io

import pytest
import sqlalchemy as sa

from app.models import DefinitionVersion, db
from app.services import deployments, users
from tests.support.bpmn import linear_process, user
from tests.support.pages import csrf_token, sign_in
from tests.support.widgets import html, one
from tests.web.conftest import DATA, folder_files
from tests.web.test_api_deployments import zip_of

PASSWORD = "secret"
DANGLING = ("dangling_flow.bpmn", (DATA / "broken/dangling_flow.bpmn").read_bytes())


@pytest.fixture
def people(app):
    with app.app_context():
        for name, role in (("olga", "owner"), ("audrey", "auditor"), ("dave", None)):
            users.add_user(name, role=role, password=PASSWORD)
        db.session.remove()


def signed_in(client, name: str):
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def check(client, files: list[tuple[str, bytes]]):
    token = csrf_token(client.get("/deployments").data)
    return client.post("/deployments/check", content_type="multipart/form-data",
                       data={"csrf_token": token, "files": [(io.BytesIO(content), name) for name, content in files]})


def carried(plan) -> dict:
    """The plan page's deploy form as it would be posted: its hidden fields."""
    form = one(html(plan), "//form[@action='/deployments']")
    fields = {"csrf_token": form.xpath(".//input[@name='csrf_token']/@value")[0]}
    for name in ("name", "content"):
        fields[name] = form.xpath(f".//input[@name='{name}']/@value")
    return fields


def post_deploy(client, fields: dict):
    return client.post("/deployments", data=fields, content_type="multipart/form-data")


def table(response, css_class: str) -> list[list[str]]:
    return [[cell.text_content().strip() for cell in row.xpath("td")]
            for row in html(response).xpath(f"//table[contains(@class, '{css_class}')]/tbody/tr")]


def versions(app) -> list[tuple[str, int]]:
    with app.app_context():
        found = db.session.execute(sa.select(DefinitionVersion.key, DefinitionVersion.version)
                                   .order_by(DefinitionVersion.key, DefinitionVersion.version)).all()
        db.session.remove()
        return [tuple(row) for row in found]


def test_an_invalid_upload_shows_every_problem_and_deploys_nothing(app, client, people):
    files = [DANGLING, ("half.bpmn", (DATA / "laptop/laptop_request.bpmn").read_bytes()[:400])]
    report = check(signed_in(client, "olga"), files)
    assert report.status_code == 422
    expected = deployments.validate(dict(files))
    assert len(expected) >= 2
    assert table(report, "deploy-problems") == [
        [p.file, str(p.line) if p.line is not None else "—", p.element or "—", p.message] for p in expected]
    assert "Nothing was deployed" in one(html(report), "//p[@role='alert']").text_content()
    assert html(report).xpath("//form[@action='/deployments/check']//input[@type='file'][@name='files']")
    assert versions(app) == []


def test_a_valid_upload_shows_the_plan_and_deploying_it_creates_the_version(app, client, people):
    plan = check(signed_in(client, "olga"), folder_files("laptop"))
    assert plan.status_code == 200
    assert table(plan, "deploy-plan") == [["Laptop request", "laptop_request", "new version 1"]]
    assert versions(app) == []   # checking deploys nothing
    deployed = post_deploy(client, carried(plan))
    assert deployed.status_code == 303 and deployed.headers["Location"] == "/deployments"
    assert versions(app) == [("laptop_request", 1)]
    page = client.get("/deployments")
    assert "Deployed laptop_request v1" in one(html(page), "//div[@class='flashes']").text_content()
    recent = table(page, "deployments-table")
    assert [row[1:3] for row in recent] == [["olga", "this page"]]
    assert one(html(page), "//table[contains(@class, 'deployments-table')]//a").get("href") == \
        "/processes/laptop_request/versions/1"

    # The same files again: unchanged, and nothing to press.
    again = check(client, folder_files("laptop"))
    assert table(again, "deploy-plan") == [["Laptop request", "laptop_request", "unchanged, stays version 1"]]
    assert not html(again).xpath("//button[normalize-space()='Deploy']")
    assert post_deploy(client, carried(again)).status_code == 303
    assert "laptop_request unchanged (v1)" in html(client.get("/deployments")).text_content()
    assert versions(app) == [("laptop_request", 1)]


def test_a_zip_of_the_files_works(app, client, people):
    archive = zip_of([(f"laptop/{name}", content) for name, content in folder_files("laptop")])
    plan = check(signed_in(client, "olga"), [("laptop.zip", archive)])
    assert table(plan, "deploy-plan") == [["Laptop request", "laptop_request", "new version 1"]]
    assert sorted(carried(plan)["name"]) == sorted(name for name, _ in folder_files("laptop"))
    assert post_deploy(client, carried(plan)).status_code == 303
    assert versions(app) == [("laptop_request", 1)]


def test_tampered_hidden_content_is_checked_again(app, client, people):
    plan = check(signed_in(client, "olga"), folder_files("laptop"))
    fields = carried(plan)
    bpmn = fields["name"].index("laptop_request.bpmn")
    fields["content"][bpmn] = base64.b64encode(DANGLING[1]).decode()
    refused = post_deploy(client, fields)
    assert refused.status_code == 422
    assert any(row[0] == "laptop_request.bpmn" and row[1] != "—" for row in table(refused, "deploy-problems"))
    fields["content"][bpmn] = "not base64!"
    damaged = post_deploy(client, fields)
    assert damaged.status_code == 422
    assert table(damaged, "deploy-problems")[0][::3] == [
        "laptop_request.bpmn", "its content came back damaged: upload the files again"]
    assert versions(app) == []


def test_malformed_uploads_get_a_clear_problem(app, client, people):
    signed_in(client, "olga")

    def problem(files) -> list[str]:
        report = check(client, files)
        assert report.status_code == 422
        return [row[0] + ": " + row[3] for row in table(report, "deploy-problems")]

    assert problem([]) == ["-: no files given"]
    assert problem([("notes.txt", b"hello")])[0].startswith("notes.txt: not a deployable file")
    assert problem([("laptop.zip", b"PK not really")]) == ["laptop.zip: not a readable zip archive"]
    # A file the plan page could not carry back in a hidden field is refused at the check.
    app.config["MAX_FORM_MEMORY_SIZE"] = 100_000
    padded = linear_process("padded", user("pick", "Pick")) + b"<!--" + b"x" * 80_000 + b"-->"
    assert problem([("padded.bpmn", padded)]) == [
        "padded.bpmn: too large to deploy from this page (over 73 KiB): deploy it with `baton deploy` or the API"]
    app.config["MAX_CONTENT_LENGTH"] = 4096
    assert problem([("big.bpmn", b"x" * 8192)]) == ["-: the upload is too large (at most 4 KiB in all): "
                                                    "send fewer or smaller files"]
    assert versions(app) == []


@pytest.mark.parametrize("who", ["dave", "audrey"])
def test_only_owners_and_admins_reach_the_page(app, client, people, who):
    owner = app.test_client()
    plan = check(signed_in(owner, "olga"), folder_files("laptop"))
    fields = carried(plan)
    signed_in(client, who)
    assert client.get("/deployments").status_code == 403
    token = csrf_token(client.get("/catalogue").data)
    files = [(io.BytesIO(content), name) for name, content in folder_files("laptop")]
    assert client.post("/deployments/check", content_type="multipart/form-data",
                       data={"csrf_token": token, "files": files}).status_code == 403
    assert post_deploy(client, {**fields, "csrf_token": token}).status_code == 403
    assert versions(app) == []
