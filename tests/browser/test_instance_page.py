"""The instance page in a real browser: bpmn-js draws the case's diagram with
its steps done and waiting, and the sequence flows it went along."""
from __future__ import annotations

import re

import pytest

from playwright.sync_api import expect

from tests.support.cases import make_people_and_processes, start_repair


def test_the_diagram_marks_the_steps_and_the_way_taken(live_server, page, sign_in, artifacts):
    make_people_and_processes(live_server.app)
    case = start_repair(live_server.app, assessed_as=True, clock=live_server.clock)
    path = f"/instances/{case['instance_id']}"

    sign_in("dave", path=f"/login?next={path}")
    expect(page).to_have_url(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Repair request REP-1")
    expect(page.locator(".diagram")).to_have_attribute("data-diagram-state", "drawn", timeout=20_000)

    def element(bpmn_id: str):
        return page.locator(f".diagram .djs-element[data-element-id='{bpmn_id}']")

    for step in ("reported", "assess", "decide"):
        expect(element(step)).to_have_class(re.compile(r"\bbaton-completed\b"))
    expect(element("fix")).to_have_class(re.compile(r"\bbaton-active\b"))
    for flow in ("flow_reported_assess", "flow_assess_decide", "flow_decide_fix"):
        expect(element(flow)).to_have_class(re.compile(r"\bbaton-taken\b"))
    for untouched in ("replace", "flow_decide_replace", "flow_fix_fixed"):
        expect(element(untouched)).not_to_have_class(re.compile(r"\bbaton-"))
    expect(page.locator(".diagram .baton-taken")).to_have_count(3)

    # The taken flows are drawn in the colour of done steps, not bpmn-js's black.
    stroke = element("flow_decide_fix").locator(".djs-visual > path").evaluate("e => getComputedStyle(e).stroke")
    untouched = element("flow_decide_replace").locator(".djs-visual > path").evaluate(
        "e => getComputedStyle(e).stroke")
    assert stroke == "rgb(31, 122, 77)" and untouched != stroke

    expect(page.get_by_role("link", name="Fix it")).to_have_attribute("href", f"/tasks/{case['task_ids']['fix']}")
    artifacts.screenshot(page, "instance-page")


def test_a_wide_diagram_can_be_zoomed_and_fitted_again(live_server, page, sign_in):
    make_people_and_processes(live_server.app)
    case = start_repair(live_server.app, assessed_as=True, clock=live_server.clock)
    sign_in("dave", path=f"/login?next=/instances/{case['instance_id']}")
    box = page.locator(".diagram")
    expect(box).to_have_attribute("data-diagram-state", "drawn", timeout=20_000)
    fitted = float(box.get_attribute("data-zoom"))
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Zoom in").click()
    assert float(box.get_attribute("data-zoom")) == pytest.approx(fitted * 1.4 * 1.4, rel=0.01)
    page.get_by_role("button", name="Zoom out").click()
    assert float(box.get_attribute("data-zoom")) == pytest.approx(fitted * 1.4, rel=0.01)
    page.get_by_role("button", name="Show the whole diagram").click()
    assert float(box.get_attribute("data-zoom")) == pytest.approx(fitted, rel=0.01)


def test_an_auditor_reads_a_case_s_audit_trail_and_downloads_it(live_server, page, sign_in, artifacts):
    import csv
    import io
    import json

    make_people_and_processes(live_server.app)
    case = start_repair(live_server.app, assessed_as=True, clock=live_server.clock)
    sign_in("audrey", path=f"/login?next=/instances/{case['instance_id']}")
    page.get_by_role("link", name="audit trail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail REP-1")
    rows = page.locator("table.audit-trail tbody tr")
    completed = rows.filter(has_text="task_completed").filter(has_text="Assess the fault")
    expect(completed).to_have_count(1)
    expect(completed).to_contain_text("(alice)")
    artifacts.screenshot(page, "audit-trail")

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download CSV").click()
    assert csv_download.value.suggested_filename == f"case-{case['instance_id']}-audit-trail.csv"
    table = list(csv.DictReader(io.StringIO(open(csv_download.value.path(), encoding="utf-8").read())))
    assert len(table) == rows.count() and table[0]["type"] == "instance_started" and table[0]["actor"] == "dave"
    assessed = next(r for r in table if r["type"] == "task_completed" and r["element"] == "assess")
    assert assessed["actor"] == "alice" and json.loads(assessed["data"])

    with page.expect_download() as json_download:
        page.get_by_role("link", name="Download JSON").click()
    trail = json.loads(open(json_download.value.path(), encoding="utf-8").read())
    assert [e["type"] for e in trail["events"]] == [r["type"] for r in table]
