"""The instance page through Flask's test client: a case part-way through, at
its end on either branch, and failed; what the diagram is told to mark; and
who may open it."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from app.models import db
from app.services import deployments, instances, users
from tests.support.cases import LONG_NOTES, make_people_and_processes, signed_in, start_failing_calculation, \
    start_repair
from tests.support.widgets import html, one


@pytest.fixture
def people(app):
    make_people_and_processes(app)


def texts(doc, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in doc.xpath(xpath)]


def diagram_marks(doc) -> dict[str, list[str]]:
    box = one(doc, "//div[@data-diagram-url]")
    return {name: box.get(f"data-{name}").split() for name in ("completed", "active", "failed", "flows")}


def test_a_case_part_way_through(client, app, clock, people):
    case = start_repair(app, assessed_as=True, clock=clock)
    response = signed_in(client, "dave").get(f"/instances/{case['instance_id']}")
    assert response.status_code == 200
    doc = html(response)

    assert texts(doc, "//h1") == ["Repair request REP-1"]
    assert texts(doc, "//p[@class='task-meta']/span") == ["Running", "1 open task"]
    facts = one(doc, "//dl[@class='facts']").text_content()
    for fact in ("Repair request", "v1", "REP-1", "Running", "Dave Daniels", "5 Jan 2026, 09:00 UTC"):
        assert fact in facts

    # the open task, who it waits for, and a link to it (the starter may open it)
    rows = doc.xpath("//section[@aria-labelledby='tasks-title']//tbody/tr")
    assert [texts(row, "td") for row in rows] == [
        ["Fix it", "Unclaimed — for group it", "5 Jan 2026, 09:30 UTC", "—"]]
    assert one(rows[0], ".//a").get("href") == f"/tasks/{case['task_ids']['fix']}"

    # the whole trail, newest first, people by their names
    assert texts(doc, "//ol[@class='timeline']//span[@class='timeline-text']") == [
        "Task opened: Fix it", "Alice Agent completed Assess the fault", "Task opened: Assess the fault",
        "Dave Daniels started the case"]

    # steps done, waiting, and the way taken: not the branch the gateway did not choose
    box = one(doc, "//div[@data-diagram-url]")
    assert box.get("data-diagram-url") == f"/instances/{case['instance_id']}/diagram.bpmn"
    assert diagram_marks(doc) == {"completed": ["reported", "assess", "decide"], "active": ["fix"], "failed": [],
                                  "flows": ["flow_reported_assess", "flow_assess_decide", "flow_decide_fix"]}
    assert "current step: Fix it" in box.get("aria-label")
    assert "Path taken" in one(doc, "//figcaption").text_content()
    assert doc.xpath("//script[contains(@src, 'js/diagram.js')]")
    assert not doc.xpath("//section[@aria-labelledby='incidents-title']")


def test_the_data_reads_as_a_list_of_keys(client, app, clock, people):
    case = start_repair(app, assessed_as=True, clock=clock)
    # The variables are for those who work on the case (alice assessed it), not for its requester.
    assert not html(signed_in(client, "dave").get(f"/instances/{case['instance_id']}")).xpath(
        "//section[@aria-labelledby='data-title']")
    doc = html(signed_in(client, "alice").get(f"/instances/{case['instance_id']}"))
    data = one(doc, "//dl[@class='case-data']")
    values = dict(zip(texts(data, ".//dt"), texts(data, ".//dd")))
    assert list(values) == ["cost", "device", "fixable", "notes", "parts", "remark", "size", "urgent"]
    assert values["cost"] == "empty" and values["device"] == "Laptop"
    assert values["fixable"] == "Yes" and values["urgent"] == "Yes"
    assert values["parts"] == '["screen", "hinge"]' and values["size"] == '{"inches": 14}'
    assert [dd.xpath("string(code)") for dd in data.xpath(".//dd[code]")] == ['["screen", "hinge"]', '{"inches": 14}']
    assert values["remark"] == "<script>alert('x')</script>" and not data.xpath(".//script")
    # a long text is cut at a word, and says how much is left out
    notes = one(data, ".//div[dt='notes']/dd")
    shown = notes.text.rstrip()
    assert len(shown) < 420 and shown.endswith("moves.…") and LONG_NOTES.startswith(shown[:-1])
    left_out = len(LONG_NOTES) - len(shown[:-1])
    assert one(notes, "span").text == f"({left_out:,} more characters)"


@pytest.mark.parametrize("fixable, flows, completed", [
    (True, ["flow_reported_assess", "flow_assess_decide", "flow_decide_fix", "flow_fix_fixed"],
     ["reported", "assess", "decide", "fix", "fixed"]),
    (False, ["flow_reported_assess", "flow_assess_decide", "flow_decide_replace", "flow_replace_replaced"],
     ["reported", "assess", "decide", "replace", "replaced"]),
])
def test_a_finished_case_shows_the_branch_it_took(client, app, clock, people, fixable, flows, completed):
    case = start_repair(app, assessed_as=fixable, fixed=fixable, clock=clock)
    doc = html(signed_in(client, "dave").get(f"/instances/{case['instance_id']}"))
    assert texts(doc, "//p[@class='task-meta']/span") == ["Completed"]
    assert diagram_marks(doc) == {"completed": completed, "active": [], "failed": [], "flows": flows}
    assert "None: the case is complete." in one(doc, "//section[@aria-labelledby='tasks-title']").text_content()
    assert texts(doc, "//dl[contains(@class, 'case-ended')]//dd") == \
        ["5 Jan 2026, 11:30 UTC" if fixable else "5 Jan 2026, 09:30 UTC"]
    history = texts(doc, "//span[@class='timeline-text']")
    assert history[0] == "The case is complete"
    assert ("Ivan IT completed Fix it" in history) is fixable
    assert ("Order a replacement finished" in history) is not fixable


def test_a_failed_case_shows_what_went_wrong(client, app, clock, people):
    clock.advance(minutes=10)
    instance_id = start_failing_calculation(app)
    doc = html(signed_in(client, "dave").get(f"/instances/{instance_id}"))
    assert texts(doc, "//p[@class='task-meta']/span") == ["Failed"]
    incidents = one(doc, "//section[@aria-labelledby='incidents-title']")
    assert texts(incidents, ".//h3") == ["Compute total"]
    assert "NameError" in one(incidents, ".//pre").text and "amount" in one(incidents, ".//pre").text
    meta = texts(incidents, ".//p[contains(@class, 'incident-meta')]")[0]
    assert meta == "Element compute, line 2 · 1 attempt · failed 5 Jan 2026, 09:10 UTC"
    assert diagram_marks(doc) == {"completed": ["start", "enter"], "active": [], "failed": ["compute"],
                                  "flows": ["f1", "f2"]}
    assert "Failed" in texts(doc, "//figcaption/span")
    history = texts(doc, "//span[@class='timeline-text']")
    assert history[:2] == ["Compute total failed", "Dave Daniels completed Enter amount"]
    assert "NameError" in texts(doc, "//span[@class='timeline-detail']")[0]


def test_who_may_open_the_case(client, app, clock, people):
    case = start_repair(app, assessed_as=True, clock=clock)
    path = f"/instances/{case['instance_id']}"

    signed_out = client.get(path)
    assert signed_out.status_code == 302 and signed_out.headers["Location"] == f"/login?next={path}"

    stranger = signed_in(client, "fiona").get(path)   # finance: no task of it, did not start it
    assert stranger.status_code == 403
    assert "You can’t open this page" in stranger.get_data(as_text=True)
    assert "REP-1" not in stranger.get_data(as_text=True)
    unknown = signed_in(client, "adam").get("/instances/999999")
    assert unknown.status_code == 404 and "Page not found" in unknown.get_data(as_text=True)
    assert signed_in(client, "adam").get("/instances/not-a-number").status_code == 404

    # The starter, the group the open task waits for, the one who completed a
    # task, an auditor and an admin may read it.
    links = {}
    for name in ("dave", "ivan", "alice", "audrey", "adam"):
        person = signed_in(client, name)
        page = person.get(path)
        assert page.status_code == 200, name
        doc = html(page)
        assert texts(doc, "//h1") == ["Repair request REP-1"]
        links[name] = [a.get("href") for a in doc.xpath("//section[@aria-labelledby='tasks-title']//a")]
    fix = f"/tasks/{case['task_ids']['fix']}"
    # Alice sees the case through the task she did; the IT task is not hers to open.
    assert links == {"dave": [fix], "ivan": [fix], "alice": [], "audrey": [fix], "adam": [fix]}
    assert person.get(fix).status_code == 200   # Adam, signed in last, may open it


def test_the_task_page_links_its_case_and_shows_the_way_taken(client, app, clock, people):
    case = start_repair(app, assessed_as=True, clock=clock)
    doc = html(signed_in(client, "ivan").get(f"/tasks/{case['task_ids']['fix']}"))
    assert one(doc, "//p[@class='card-link']/a").get("href") == f"/instances/{case['instance_id']}"
    assert diagram_marks(doc)["flows"] == ["flow_reported_assess", "flow_assess_decide", "flow_decide_fix"]


def test_a_case_held_by_a_timer_says_where_it_waits(client, app, people):
    bpmn = (Path(__file__).parents[1] / "engine" / "data" / "timers" / "spiff_duration.bpmn").read_bytes()
    with app.app_context():
        deployments.deploy({"wait.bpmn": bpmn}, users.get_user("olga"))
        instance_id = instances.start_instance("spiff_wait", users.get_user("dave")).id
    doc = html(signed_in(client, "dave").get(f"/instances/{instance_id}"))
    assert texts(doc, "//section[@aria-labelledby='tasks-title']/p") == [
        "Nothing waits for a person now: the case is on an automatic step, a timer or a message (Wait)."]
    assert diagram_marks(doc)["active"] == ["wait"] and diagram_marks(doc)["completed"] == ["start"]

    # Where it waits (the workflow state) is read with the row that says what is done: reads
    # run statement by statement, and a step the worker finished between two reads would show
    # the case waiting further on than its marks (a flaky browser flow found this).
    with app.app_context():
        dave = users.get_user("dave")
        statements = []
        record = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert instances.case_file(instance_id, dave).waiting_at == {"wait": "Wait"}
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
    reading_state = [s for s in statements if "instance.state" in s]
    assert len(reading_state) == 1 and "instance.completed_steps" in reading_state[0]


def test_the_audit_trail_downloads_as_csv_and_json_for_those_who_read_the_data(client, app, clock, people):
    import csv
    import io
    import json

    case = start_repair(app, assessed_as=True, clock=clock)
    base = f"/instances/{case['instance_id']}/audit-trail"
    auditor = signed_in(client, "audrey")
    page = html(auditor.get(f"/instances/{case['instance_id']}"))
    assert [a.get("href") for a in page.xpath("//section[@aria-labelledby='history-title']//a[@download]")] == [
        f"{base}.csv", f"{base}.json"]

    as_json = auditor.get(f"{base}.json")
    assert as_json.status_code == 200 and as_json.mimetype == "application/json"
    assert as_json.headers["Content-Disposition"] == \
        f'attachment; filename="case-{case["instance_id"]}-audit-trail.json"'
    trail = json.loads(as_json.get_data(as_text=True))
    assert trail["business_key"] == "REP-1"
    kinds = [(e["type"], e["actor"], e["element"]) for e in trail["events"]]
    assert kinds[0] == ("instance_started", "dave", None)
    assert ("task_completed", "alice", "assess") in kinds
    completed = next(e for e in trail["events"] if e["type"] == "task_completed")
    assert completed["step"] == "Assess the fault" and completed["at"].startswith("2026-01-05T09:")
    assert "data" in completed["data"]            # what alice entered

    as_csv = auditor.get(f"{base}.csv")
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert [(r["type"], r["actor"], r["element"]) for r in rows] == [(t, a or "", e or "") for t, a, e in kinds]
    assert json.loads(rows[kinds.index(("task_completed", "alice", "assess"))]["data"]) == completed["data"]

    # The starter reads the case but not its data, so not its audit trail either.
    starter = signed_in(client, "dave")
    assert not html(starter.get(f"/instances/{case['instance_id']}")).xpath("//a[@download]")
    assert starter.get(f"{base}.csv").status_code == 403
    assert signed_in(client, "fiona").get(f"{base}.json").status_code == 403
    assert signed_in(client, "adam").get(f"/instances/{case['instance_id']}/audit-trail.xml").status_code == 404


def test_the_audit_trail_page_lists_every_event_with_time_actor_step_and_data(client, app, clock, people):
    case = start_repair(app, assessed_as=True, clock=clock)
    base = f"/instances/{case['instance_id']}/audit-trail"
    auditor = signed_in(client, "audrey")
    case_page = html(auditor.get(f"/instances/{case['instance_id']}"))
    assert case_page.xpath(f"//section[@aria-labelledby='history-title']//a[@href='{base}']")

    page = html(auditor.get(base))
    rows = page.xpath("//table[contains(@class, 'audit-trail')]/tbody/tr")
    trail = auditor.get(f"{base}.json").get_json()["events"]
    assert len(rows) == len(trail) > 3
    cells = [[" ".join(td.text_content().split()) for td in row.xpath("td")] for row in rows]
    assert cells[0][2] == "instance_started" and "(dave)" in cells[0][3]
    completed = next(c for c in cells if c[2] == "task_completed" and "assess" in c[4])
    assert completed[4] == "Assess the fault assess"
    assert completed[3].endswith("(alice)")
    assert "data" in completed[5]                       # the data alice entered, by name
    assert [a.get("href") for a in page.xpath("//a[@download]")] == [f"{base}.csv", f"{base}.json"]

    # The starter reads the case but not the data people entered, so not this page.
    assert signed_in(client, "dave").get(base).status_code == 403
