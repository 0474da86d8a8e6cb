"""The modeller in a real browser: a process owner opens version 1 of a shipped
process, renames a step, makes a mistake that validation marks on the
diagram, fixes it, and deploys version 2, whose documentation and diff show
the new name."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from app.models import db
from app.services import definitions, deployments, users
from app.services.bundles import collect_bundle
from tests.browser.conftest import REPO

KEY = "service-request"


def test_an_owner_edits_validates_and_deploys_a_new_version(live_server, page, sign_in, artifacts):
    live_server.user("olga", role="owner", display_name="Olga Owner")
    with live_server.app.app_context():
        deployments.deploy(collect_bundle(REPO / "bpmn" / KEY), users.get_user("olga"))
        db.session.remove()
    sign_in("olga", path="/login?next=/modeller")
    artifacts.screenshot(page, "modeller-start")
    page.get_by_label("Version of Request a service").select_option("1")
    page.get_by_role("button", name="Open Request a service").click()
    editor = page.locator("[data-modeller]")
    expect(editor).to_have_attribute("data-state", "ready", timeout=20_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a service (version 1)")
    artifacts.screenshot(page, "modeller-opened", full_page=False)

    def element(bpmn_id: str):
        return page.locator(f".djs-element[data-element-id='{bpmn_id}']")

    # Rename a step the way people do: double-click it, type, Enter.
    element("triage-request").dblclick()
    label = page.locator(".djs-direct-editing-parent")
    expect(label).to_be_visible()
    page.keyboard.press("Control+A")
    page.keyboard.type("Triage the request")
    page.keyboard.press("Enter")
    expect(label).to_be_hidden()
    expect(element("triage-request")).to_contain_text("Triage the request")
    assert leaving_asks(page)

    # A mistake: the flow into "Request fulfilled" deleted; validating marks the orphaned end event.
    click_line(page, element("flow-to-fulfilled"))
    page.locator(".djs-context-pad [data-action='delete']").click()
    expect(element("flow-to-fulfilled")).to_have_count(0)
    page.get_by_role("button", name="Validate").click()
    problem = page.locator("[data-problems] [data-element='request-fulfilled']")
    expect(problem).to_contain_text("nothing leads to this step")
    expect(element("request-fulfilled")).to_have_class(re.compile(r"\bmodeller-problem\b"))
    expect(page.locator(".modeller-problem-badge")).to_have_text("1")
    problem.click()   # selects and centres the element
    expect(element("request-fulfilled")).to_have_class(re.compile(r"\bselected\b"))
    artifacts.screenshot(page, "modeller-problem", full_page=False)

    # Deploying refuses it too, and deploys nothing.
    page.get_by_role("button", name="Deploy as new version").click()
    expect(page.locator("[data-status]")).to_contain_text("Not deployed: 1 problem")

    # The fix: connect the step to the end event again with the context pad's connect tool.
    element("fulfil-request").click()
    page.locator(".djs-context-pad [data-action='connect']").click()
    box = element("request-fulfilled").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.get_by_role("button", name="Validate").click()
    expect(page.locator("[data-status]")).to_contain_text("No problems")
    expect(page.locator(".modeller-problem")).to_have_count(0)
    expect(page.locator(".modeller-problem-badge")).to_have_count(0)

    page.get_by_role("button", name="Deploy as new version").click()
    expect(page.locator("[data-status]")).to_contain_text("Request a service is now version 2")
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a service (version 2)")
    expect(page).to_have_url(re.compile(r"/modeller/edit\?key=service-request&version=2$"))
    assert not leaving_asks(page)
    with live_server.app.app_context():   # bpmn-js kept the SpiffWorkflow extensions (forms, scripts, lanes' rules)
        before, after = (definitions.get_version(KEY, n) for n in (1, 2))
        assert set(after.files) == set(before.files)
        renamed = {**before.meta["tasks"]["triage-request"], "name": "Triage the request"}
        assert after.meta == {**before.meta, "tasks": {**before.meta["tasks"], "triage-request": renamed}}
        db.session.remove()
    artifacts.screenshot(page, "modeller-deployed", full_page=False)

    page.get_by_role("button", name="Deploy as new version").click()   # nothing changed since
    expect(page.locator("[data-status]")).to_contain_text("No change")

    # The new version's documentation (another page) names the step anew, and the diff says so.
    page.goto(f"/processes/{KEY}/versions/2")
    expect(page.locator("main")).to_contain_text("Triage the request")
    page.goto(f"/processes/{KEY}/diff?from=1&to=2")
    expect(page.locator("main")).to_contain_text("Triage the request")
    expect(page.locator("main")).to_contain_text("Triage request")


def leaving_asks(page) -> bool:
    """Would leaving the page ask first? (the beforeunload handler cancels the event)"""
    return page.evaluate("""() => {
        const event = new Event("beforeunload", {cancelable: true});
        window.dispatchEvent(event);
        return event.defaultPrevented;
    }""")


def click_line(page, connection) -> None:
    """Clicks a sequence flow: a straight line's box is too thin to count as visible to Playwright."""
    x, y = connection.locator(".djs-hit").evaluate(
        "e => { const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }")
    page.mouse.click(x, y)
