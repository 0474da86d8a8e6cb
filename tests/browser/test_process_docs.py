"""Process documentation in a real browser, as an auditor reads it: a click on
a step in the diagram opens its entry, the diff of two versions marks the
changed step on the diagram, and the HTML export downloads as one file."""
from __future__ import annotations

import re
import shutil

from playwright.sync_api import expect

from tests.browser.conftest import REPO
from tests.browser.desk import sign_in

PROCESS = REPO / "bpmn" / "service-request"


def test_an_auditor_reads_a_process_its_changes_and_exports_it(baton_serve, desk_page, tmp_path, artifacts):
    # Version 2 renames the triage step. The shipped folder goes first: BATON_TEST_PROCESSES
    # may have left it out, and deploying it again changes nothing when it is there.
    renamed = tmp_path / "service-request"
    shutil.copytree(PROCESS, renamed)
    bpmn = renamed / "service-request.bpmn"
    bpmn.write_text(bpmn.read_text().replace('name="Triage request"', 'name="Triage the request"'))
    baton_serve.server.baton("deploy", str(PROCESS))
    assert "service-request v2 (new)" in baton_serve.server.baton("deploy", str(renamed))

    page = desk_page
    sign_in(page, baton_serve, "auditor")
    page.get_by_role("navigation").get_by_role("link", name="Processes").click()
    artifacts.screenshot(page, "process-docs-list")
    row = page.locator("tr", has=page.locator("code", has_text=re.compile("^service-request$")))
    row.get_by_role("link", name="2 versions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a service")
    artifacts.screenshot(page, "process-docs-history")
    page.get_by_role("link", name="Version 2").click()

    # A click on a step in the diagram opens its entry, marked.
    diagram = page.locator(".doc-diagram")
    expect(diagram).to_have_attribute("data-diagram-state", "drawn", timeout=20_000)
    diagram.locator(".djs-element[data-element-id='approve-cost']").click()
    entry = page.locator("#step-approve-cost")
    expect(entry).to_have_class(re.compile(r"\bdoc-step-selected\b"))
    expect(page).to_have_url(re.compile(r"#step-approve-cost$"))
    expect(entry.get_by_role("heading")).to_have_text("Approve cost")
    expect(diagram.locator(".djs-element[data-element-id='approve-cost']")).to_have_class(re.compile(r"\bdoc-selected\b"))
    page.evaluate("window.scrollTo(0, 0)")
    artifacts.screenshot(page, "process-docs-documentation")

    # Printed as it stands: no navigation or buttons, the server-drawn diagram instead of the viewer.
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("link", name="Export PDF")).to_be_hidden()
    expect(diagram).to_be_hidden()
    expect(page.locator(".doc-print-only svg [data-element-id='approve-cost']")).to_be_visible()
    page.emulate_media(media="screen")

    # The HTML export: one file, with the drawing and every step.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export HTML").click()
    download = download_info.value
    assert download.suggested_filename == "service-request-v2.html"
    exported = download.path().read_text(encoding="utf-8")
    assert "<svg" in exported and "Triage the request" in exported and "Approve cost" in exported
    assert "<script" not in exported

    # The diff: the renamed step is listed, and marked on the new version's diagram.
    page.get_by_role("link", name="Compare with previous").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 1 → 2")
    listed = page.locator(".doc-change", has=page.locator("a[data-element-id='triage-request']"))
    expect(listed).to_contain_text("Triage request")
    change = listed.get_by_role("link", name="Triage the request")
    boxes = page.locator(".doc-diagram")
    for box in (boxes.nth(0), boxes.nth(1)):
        expect(box).to_have_attribute("data-diagram-state", "drawn", timeout=20_000)
    after = boxes.nth(1).locator(".djs-element[data-element-id='triage-request']")
    expect(after).to_have_class(re.compile(r"\bdoc-mark-changed\b"))
    change.click()
    expect(after).to_have_class(re.compile(r"\bdoc-focus\b"))
    page.evaluate("window.scrollTo(0, 0)")
    artifacts.screenshot(page, "process-docs-diff")
    assert page.errors == []
