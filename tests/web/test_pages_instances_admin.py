"""The Instances page over HTTP: filters (and bad filter input shown beside
its field), per-case actions with their reason in the case's history, bulk
actions from the confirm page to the progress page the worker fills in, the
one-case migration dry run, and 403 for everyone but admins on every change."""
from __future__ import annotations

import lxml.html
import pytest

from app.models import Instance, db
from app.services import deployments, jobs, users
from tests.support.bpmn import linear_process, user
from tests.support.cases import make_people_and_processes, signed_in, start_failing_calculation, start_repair
from tests.support.pages import csrf_token


@pytest.fixture
def cases(app, client) -> dict:
    """Two repairs (REP-1, REP-2) and a failed calculation, started by Dave."""
    make_people_and_processes(app)
    return {"rep1": start_repair(app)["instance_id"], "rep2": start_repair(app, business_key="REP-2")["instance_id"],
            "calc": start_failing_calculation(app)}


def _case_ids(response) -> list[int]:
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    return [int(a.text_content().strip("#")) for a in doc.xpath("//table[contains(@class,'instances-table')]//tbody/tr/td[1]/a")]


def _status(app, instance_id: int) -> str:
    with app.app_context():
        status = db.session.get(Instance, instance_id).status
        db.session.remove()
    return status


def test_admins_and_auditors_filter_the_cases(app, client, cases):
    admin = signed_in(client, "adam")
    assert _case_ids(admin.get("/instances")) == [cases["calc"], cases["rep2"], cases["rep1"]]
    assert _case_ids(admin.get("/instances?process=repair")) == [cases["rep2"], cases["rep1"]]
    assert _case_ids(admin.get("/instances?status=failed&version=1")) == [cases["calc"]]
    assert _case_ids(admin.get("/instances?business_key=rep-2")) == [cases["rep2"]]
    assert _case_ids(admin.get("/instances?variable=device&value=Laptop&started_from=2026-01-05")) == \
        [cases["rep2"], cases["rep1"]]
    page = admin.get("/instances?status=failed").get_data(as_text=True)
    assert 'class="badge badge-danger">1</span>' in page              # its open incident
    assert "Actions" in page and "All 1 matching case" in page

    auditor = signed_in(client, "audrey")
    read = auditor.get("/instances?process=repair")
    assert _case_ids(read) == [cases["rep2"], cases["rep1"]]
    doc = lxml.html.fromstring(read.get_data(as_text=True))
    assert doc.xpath("//main//form[@method='post']") == [] and doc.xpath("//details") == []
    assert "matching case" not in read.get_data(as_text=True)
    assert signed_in(client, "dave").get("/instances").status_code == 403
    assert client.get("/instances").status_code == 302


def test_bad_filter_input_is_shown_beside_its_field(client, cases):
    admin = signed_in(client, "adam")
    answer = admin.get("/instances?version=two&started_from=2026-02-30&variable=a-b&value=1&business_key=REP")
    assert answer.status_code == 422
    doc = lxml.html.fromstring(answer.get_data(as_text=True))
    errors = {e.get("id"): e.text_content() for e in doc.xpath("//p[@class='field-error']")}
    assert set(errors) == {"f-version-error", "f-started_from-error", "f-variable-error"}
    assert "whole number" in errors["f-version-error"] and "YYYY-MM-DD" in errors["f-started_from-error"]
    assert doc.xpath("//input[@name='business_key']/@value") == ["REP"]     # what was typed stays
    assert _case_ids(answer) == []

    # A NUL in a value is refused beside its field (PostgreSQL would refuse it in the query).
    nul = admin.get("/instances?variable=model&value=a%00b")
    assert nul.status_code == 422 and "NUL" in nul.get_data(as_text=True)


def test_row_actions_keep_their_reason_in_the_history(app, client, cases):
    admin = signed_in(client, "adam")
    listing = "/instances?process=repair"
    token = csrf_token(admin.get(listing).data)
    rep1 = f"/instances/{cases['rep1']}/act"

    done = admin.post(rep1, data={"csrf_token": token, "action": "suspend", "reason": "waiting for parts",
                                  "next": listing})
    assert done.status_code == 303 and done.headers["Location"] == listing
    assert _status(app, cases["rep1"]) == "suspended"
    refused = admin.post(rep1, data={"csrf_token": token, "action": "terminate", "next": listing},
                         follow_redirects=True)
    assert "Say why the cases are terminated" in refused.get_data(as_text=True)
    assert _status(app, cases["rep1"]) == "suspended"
    admin.post(rep1, data={"csrf_token": token, "action": "terminate", "reason": "sent twice"})
    assert _status(app, cases["rep1"]) == "terminated"
    history = admin.get(f"/instances/{cases['rep1']}").get_data(as_text=True)
    assert "waiting for parts" in history and "sent twice" in history

    again = admin.post(f"/instances/{cases['calc']}/act", data={"csrf_token": token, "action": "retry"},
                       follow_redirects=True)
    assert f"Case {cases['calc']} retried." in again.get_data(as_text=True)
    skipped = admin.post(rep1, data={"csrf_token": token, "action": "resume"}, follow_redirects=True)
    assert "Cannot resume an instance that is terminated." in skipped.get_data(as_text=True)


def test_a_bulk_action_from_confirming_to_done(app, client, cases):
    admin = signed_in(client, "adam")
    confirm = admin.get("/instances/bulk/new?process=repair&action=terminate")
    assert "Terminate 2 cases?" in confirm.get_data(as_text=True)
    form = {"csrf_token": csrf_token(confirm.data), "process": "repair", "action": "terminate"}
    unexplained = admin.post("/instances/bulk", data=form)
    assert unexplained.status_code == 422 and "Say why" in unexplained.get_data(as_text=True)

    asked = admin.post("/instances/bulk", data={**form, "reason": "cleaning up"})
    assert asked.status_code == 303
    progress_url = asked.headers["Location"]
    waiting = admin.get(progress_url).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in waiting and "0 / 2" in waiting and "<progress" in waiting
    with app.app_context():
        jobs.run_due("test")
    fragment = admin.get(progress_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith("<section") and "2 / 2" in fragment and "hx-trigger" not in fragment
    assert [_status(app, cases[k]) for k in ("rep1", "rep2", "calc")] == ["terminated", "terminated", "failed"]
    assert signed_in(client, "audrey").get(progress_url).status_code == 200


def test_moving_one_case_after_its_dry_run(app, client, cases):
    with app.app_context():
        olga = users.get_user("olga")
        deployments.deploy({"r.bpmn": linear_process("small", user("a", "A"))}, olga)
        moving = users.get_user("dave")
        from app.services import instances
        case = instances.start_instance("small", moving).id
        deployments.deploy({"r.bpmn": linear_process("small", user("a", "A again"))}, olga)
        db.session.remove()
    admin = signed_in(client, "adam")
    dry = admin.get(f"/instances/migration?instance={case}&to_version=2")
    text = dry.get_data(as_text=True)
    assert "1 of 1 can move to version 2" in text and f"Move case #{case} to version 2" in text
    moved = admin.post(f"/instances/{case}/migrate", data={"csrf_token": csrf_token(dry.data), "to_version": "2"},
                       follow_redirects=True)
    assert f"Case {case} moved to version 2." in moved.get_data(as_text=True)
    again = admin.post(f"/instances/{case}/migrate", data={"csrf_token": csrf_token(dry.data), "to_version": "2"},
                       follow_redirects=True)
    assert "already on version 2" in again.get_data(as_text=True)


def test_only_admins_change_anything(app, client, cases):
    rep1 = cases["rep1"]
    posts = [(f"/instances/{rep1}/act", {"action": "suspend"}),
             (f"/instances/{cases['calc']}/act", {"action": "retry"}),
             ("/instances/bulk", {"action": "suspend", "process": "repair"}),
             ("/instances/bulk", {"action": "migrate", "to_version": "1", "ids": str(rep1)}),
             (f"/instances/{rep1}/migrate", {"to_version": "1"})]
    for who in ("audrey", "dave"):
        person = signed_in(client, who)
        token = csrf_token(person.get("/messages").data)
        for path, data in posts:
            assert person.post(path, data={**data, "csrf_token": token}).status_code == 403, (who, path)
        for path in ("/instances/bulk/new?action=suspend", f"/instances/migration?instance={rep1}&to_version=1"):
            assert person.get(path).status_code == 403, (who, path)
    assert _status(app, rep1) == "running" and _status(app, cases["calc"]) == "failed"
