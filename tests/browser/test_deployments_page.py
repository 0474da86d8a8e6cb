"""The Deployments page in a real browser: an owner uploads a broken diagram,
reads where it is broken, uploads the fixed one, reads the plan and deploys."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.support.bpmn import linear_process, user

GOOD = linear_process("parts_order", user("pick", "Pick the parts"), name="Parts order")
# The flow out of "pick" leads to an element that does not exist.
BROKEN = GOOD.replace(b'sourceRef="pick" targetRef="end"', b'sourceRef="pick" targetRef="finish"')


def upload(page, content: bytes) -> None:
    page.get_by_label("BPMN, DMN and form files").set_input_files(
        [{"name": "parts-order.bpmn", "mimeType": "application/xml", "buffer": content}])
    page.get_by_role("button", name="Check the files").click()


def test_an_owner_checks_fixes_and_deploys_a_process(live_server, page, sign_in, artifacts):
    assert BROKEN != GOOD
    live_server.user("olga", role="owner", display_name="Olga Owner")
    sign_in("olga", path="/login?next=/deployments")
    expect(page.get_by_role("heading", level=1)).to_have_text("Deployments")
    expect(page.get_by_text("Nothing has been deployed yet.")).to_be_visible()
    artifacts.screenshot(page, "deployments-empty")

    upload(page, BROKEN)
    expect(page.get_by_role("heading", level=1)).to_have_text("The files cannot be deployed")
    expect(page.get_by_role("alert")).to_contain_text("Nothing was deployed")
    problem = page.locator(".deploy-problems tbody tr")
    expect(problem).to_have_count(1)
    line = next(n for n, text in enumerate(BROKEN.decode().splitlines(), 1) if 'targetRef="finish"' in text)
    expect(problem.locator("td")).to_have_text(
        ["parts-order.bpmn", str(line), "f2", "targetRef 'finish' names no element in this file"])
    artifacts.screenshot(page, "deployments-problems")

    upload(page, GOOD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ready to deploy")
    expect(page.locator(".deploy-plan tbody tr td")).to_have_text(["Parts order", "parts_order", "new version 1"])
    artifacts.screenshot(page, "deployments-plan")

    page.get_by_role("button", name="Deploy").click()
    expect(page).to_have_url(f"{live_server.url}/deployments")
    expect(page.get_by_role("status")).to_have_text("Deployed parts_order v1")
    listed = page.locator(".deployments-table tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.get_by_role("link")).to_have_attribute("href", "/processes/parts_order/versions/1")
    expect(listed).to_contain_text("olga")
    artifacts.screenshot(page, "deployments-deployed")
