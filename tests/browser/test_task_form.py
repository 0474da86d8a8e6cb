"""Working a task in a real browser: the form with mistakes and with them put
right, the next task of the case, and the diagram marking where the case is;
and the same form with JavaScript switched off."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.widgets import start_widget_check


@pytest.fixture
def task_path(live_server) -> str:
    """A widget check Dave started, waiting for the agents; Alice is one of them
    (password "secret", as the sign_in fixture assumes)."""
    case = start_widget_check(live_server.app, business_key="WID-7",
                              data={"requester": "Dave Daniels", "ticket_ref": "INC-42"})
    return f"/tasks/{case['task_id']}"


def fill_the_form(page, summary: str, quantity: str) -> None:
    page.get_by_label("Summary").fill(summary)
    page.get_by_label("Details").fill("The laptop needs a VPN client.\nThe old one expired.")
    page.get_by_label("Quantity").fill(quantity)
    page.get_by_label("Budget", exact=True).fill("99.50")
    page.get_by_label("Priority").select_option("high")
    page.get_by_label("By phone").check()
    page.get_by_label("Urgent").check()
    page.get_by_label("Yes").check()
    page.get_by_label("Needed by").fill("2026-02-01")
    page.get_by_label("Contact email").fill("dave@example.com")
    page.get_by_label("Tags").fill("vpn\nremote")
    page.get_by_label("macOS").check()


def diagram_step(page, bpmn_id: str):
    return page.locator(f".diagram .djs-element[data-element-id='{bpmn_id}']")


def test_work_a_task_through_its_form(live_server, page, sign_in, task_path, artifacts):
    sign_in("alice", path=f"/login?next={task_path}")
    expect(page).to_have_url(f"{live_server.url}{task_path}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Describe the work")
    expect(page.locator(".diagram")).to_have_attribute("data-diagram-state", "drawn", timeout=20_000)
    expect(diagram_step(page, "describe")).to_have_class(re.compile(r"\bbaton-active\b"))
    expect(diagram_step(page, "start")).to_have_class(re.compile(r"\bbaton-completed\b"))
    expect(diagram_step(page, "check")).not_to_have_class(re.compile(r"\bbaton-"))
    artifacts.screenshot(page, "task-page")

    fill_the_form(page, summary="VPN", quantity="twelve")
    page.get_by_role("button", name="Complete task").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There are 2 problems")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Summary: At least 5 characters.",
                                                      "Quantity: Must be a whole number."])
    expect(page.get_by_label("Summary")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Summary")).to_have_accessible_description(re.compile("At least 5 characters"))
    expect(page.get_by_label("Quantity")).to_have_accessible_description("Must be a whole number.")
    for label, value in (("Summary", "VPN"), ("Quantity", "twelve"), ("Needed by", "2026-02-01"),
                         ("Details", "The laptop needs a VPN client.\nThe old one expired."),
                         ("Tags", "vpn\nremote"), ("Priority", "high")):
        expect(page.get_by_label(label)).to_have_value(value)
    for label in ("By phone", "Urgent", "Yes", "macOS"):
        expect(page.get_by_label(label)).to_be_checked()
    expect(diagram_step(page, "describe")).to_have_class(re.compile(r"\bbaton-active\b"))
    artifacts.screenshot(page, "task-form-errors")

    summary.get_by_role("link", name=re.compile("^Quantity")).click()
    expect(page).to_have_url(re.compile("#f-quantity$"))
    page.get_by_label("Summary").fill("Set up a VPN client")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Complete task").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check the work")
    expect(page.get_by_role("status")).to_have_text("Task 'Describe the work' completed.")
    expect(page.locator(".diagram")).to_have_attribute("data-diagram-state", "drawn", timeout=20_000)
    expect(diagram_step(page, "check")).to_have_class(re.compile(r"\bbaton-active\b"))
    expect(diagram_step(page, "describe")).to_have_class(re.compile(r"\bbaton-completed\b"))
    expect(page.locator(".timeline")).to_contain_text("Alice Agent completed Describe the work")
    artifacts.screenshot(page, "task-page-next")

    page.get_by_role("button", name="Complete task").click()
    expect(page).to_have_url(f"{live_server.url}/inbox")   # nothing more in this case
    expect(page.get_by_role("status")).to_have_text("Task 'Check the work' completed.")


def test_the_form_works_with_javascript_off(live_server, browser, task_path, artifacts):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url,
                                  viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"/login?next={task_path}")
        page.get_by_label("User name").fill("alice")
        page.get_by_label("Password").fill("secret")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Describe the work")
        expect(page.locator(".diagram")).to_contain_text("The diagram needs JavaScript.")

        fill_the_form(page, summary="VPN", quantity="1.5")
        page.get_by_role("button", name="Complete task").click()
        expect(page.get_by_role("alert")).to_contain_text("There are 2 problems")
        expect(page.get_by_label("Quantity")).to_have_value("1.5")
        expect(page.get_by_label("Summary")).to_have_value("VPN")

        page.get_by_label("Summary").fill("Set up a VPN client")
        page.get_by_label("Quantity").fill("1")
        page.get_by_role("button", name="Complete task").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check the work")
        artifacts.screenshot(page, "task-page-no-javascript")
    finally:
        context.close()


def test_the_task_page_fits_a_phone(live_server, page, sign_in, task_path, artifacts):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in("alice", path=f"/login?next={task_path}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Describe the work")
    expect(page.locator(".diagram")).to_have_attribute("data-diagram-state", "drawn", timeout=20_000)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")   # no sideways scrolling
    artifacts.screenshot(page, "task-page-phone")
