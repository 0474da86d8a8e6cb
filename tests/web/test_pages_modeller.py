"""The modeller's pages: who may open them, the editor page, and the JSON
answers of validate and deploy (problems, versions, and clear refusals)."""
from __future__ import annotations

import json

import lxml.html
import pytest

from app.web.pages.modeller import MAX_XML_BYTES
from tests.support.cases import make_people_and_processes, signed_in

ROUTES = ("/modeller", "/modeller/edit?key=repair&version=1", "/modeller/edit?blank=1",
          "/modeller/source?key=repair&version=1", "/modeller/source")


def csrf_of(page) -> str:
    """The CSRF token every page carries for scripts (the modeller's meta tag, else htmx's headers)."""
    doc = lxml.html.fromstring(page.get_data(as_text=True))
    meta = doc.xpath("//meta[@name='csrf-token']/@content")
    return meta[0] if meta else json.loads(doc.find("body").get("hx-headers:inherited"))["X-CSRFToken"]


@pytest.fixture
def olga(app, client):
    """Olga, a process owner, signed in with the editor of repair version 1 open; (client, CSRF token)."""
    make_people_and_processes(app)
    olga = signed_in(client, "olga")
    return olga, csrf_of(olga.get("/modeller/edit?key=repair&version=1"))


def post(who, token, path, body=None, **kwargs):
    return who.post(path, json=body, headers={"X-CSRFToken": token}, **kwargs)


def test_owners_choose_and_open_a_diagram(olga):
    olga, _ = olga
    start = olga.get("/modeller").get_data(as_text=True)
    assert "Repair request" in start and 'name="version"' in start and "Start a blank diagram" in start
    assert "/modeller/edit?template=incident" in start    # the shipped processes are templates

    editor = lxml.html.fromstring(olga.get("/modeller/edit?key=repair&version=1").get_data(as_text=True))
    box = editor.xpath("//*[@data-modeller]")[0]
    assert box.get("data-source-url") == "/modeller/source?key=repair&version=1" and box.get("data-version") == "1"
    assert [b.text_content() for b in editor.xpath("//*[@data-action]")] == [
        "Validate", "Deploy as new version", "Download .bpmn"]
    assert editor.xpath("//script[contains(@src, 'bpmn-modeler')]")

    source = olga.get("/modeller/source?key=repair&version=1")
    assert source.mimetype == "application/xml" and b'<bpmn:process id="repair"' in source.data
    assert olga.get("/modeller/edit").status_code == 302                      # nothing chosen: back to the choice
    assert olga.get("/modeller/edit?key=repair&version=9").status_code == 404
    assert olga.get("/modeller/edit?key=repair&version=x").status_code == 400
    assert olga.get("/modeller/source?template=../forms").status_code == 404


def test_validate_and_deploy_answer_json(olga):
    olga, token = olga
    xml = olga.get("/modeller/source?key=repair&version=1").get_data(as_text=True)
    where = {"key": "repair", "version": 1}

    answer = post(olga, token, "/modeller/validate", {"xml": xml, **where})
    assert answer.status_code == 200 and answer.json == {"problems": []}

    stray = xml.replace("</bpmn:process>", '<bpmn:task id="stray" name="Stray" /></bpmn:process>')
    answer = post(olga, token, "/modeller/validate", {"xml": stray, **where})
    assert [(p["element"], p["file"]) for p in answer.json["problems"]] == [("stray", "repair.bpmn")]
    refused = post(olga, token, "/modeller/deploy", {"xml": stray, **where})
    assert refused.status_code == 422 and refused.json["problems"][0]["element"] == "stray"

    renamed = xml.replace('name="Assess', 'name="Look at', 1)
    done = post(olga, token, "/modeller/deploy", {"xml": renamed, **where})
    assert done.status_code == 200
    [definition] = done.json["definitions"]
    assert (definition["key"], definition["version"], definition["new"]) == ("repair", 2, True)
    assert definition["edit_url"] == "/modeller/edit?key=repair&version=2"
    again = post(olga, token, "/modeller/deploy", {"xml": renamed, "key": "repair", "version": 2})
    assert [(d["version"], d["new"]) for d in again.json["definitions"]] == [(2, False)]


def test_bad_bodies_get_clear_json_errors(olga):
    olga, token = olga
    for path in ("/modeller/validate", "/modeller/deploy"):
        for body, status, says in (
                (None, 400, "JSON object"), ([1, 2], 400, "JSON object"), ({}, 400, "'xml' is missing"),
                ({"xml": 5}, 400, "'xml' is missing"), ({"xml": "<x/>", "version": "two"}, 400, "'version'"),
                ({"xml": "<x/>", "key": "repair", "version": 9}, 404, "no version 9"),
                ({"xml": "<x/>", "template": "nope"}, 404, "no template"),
                ({"xml": "x" * (MAX_XML_BYTES + 1)}, 413, "too large")):
            answer = post(olga, token, path, body)
            assert answer.status_code == status and says in answer.json["message"], (path, body)
        malformed = olga.post(path, data="{not json", content_type="application/json",
                              headers={"X-CSRFToken": token})
        assert malformed.status_code == 400 and "JSON object" in malformed.json["message"]
        assert olga.post(path, json={"xml": "<x/>"}).status_code == 400   # no CSRF token
    not_bpmn = post(olga, token, "/modeller/validate", {"xml": "<x/>"})
    assert not_bpmn.status_code == 200 and "not a BPMN 2.0 file" in not_bpmn.json["problems"][0]["message"]


@pytest.mark.parametrize("name", ["dave", "audrey"])
def test_users_and_auditors_are_refused_everywhere(app, client, name):
    make_people_and_processes(app)
    person = signed_in(client, name)
    for route in ROUTES:
        assert person.get(route).status_code == 403, route
    token = csrf_of(person.get("/", follow_redirects=True))
    for path in ("/modeller/validate", "/modeller/deploy"):
        answer = post(person, token, path, {"xml": "<x/>", "key": "repair", "version": 1})
        assert answer.status_code == 403 and answer.json["error"] == "forbidden", path
