"""What people do on a served Baton (the ``baton_serve`` fixture), shared by
the end-to-end tests of the shipped processes.

Automated steps run in the server's embedded worker, a moment after the
request that made them due, and pages do not refresh themselves: the steps
that wait for something a person expects to appear (a task, a message)
reload the page until it does (``_reload_until``)."""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone

from playwright.sync_api import expect

DONE = re.compile(r"\bbaton-completed\b")      # the case page's marks on its diagram
ACTIVE = re.compile(r"\bbaton-active\b")
UNMARKED = re.compile(r"\bbaton-")


def sign_in(page, served, username: str) -> None:
    """Signs a demo user in with the password scripts/run printed."""
    page.goto(f"{served.url}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(served.passwords[username])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def start_from_catalogue(page, served, card_title: str) -> None:
    """Opens the catalogue and the start form of the card with that title."""
    page.goto(f"{served.url}/catalogue")
    page.locator(".card", has_text=card_title).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(card_title)


def submit_start_form(page) -> None:
    """Sends a start page's form (its button says "Start request")."""
    page.get_by_role("button", name="Start request").click()


def start_request(page) -> str:
    """Sends a start page's form that is right: the case page, with its
    confirmation, follows. Returns the case page's address."""
    submit_start_form(page)
    expect(page).to_have_url(re.compile(r"/instances/\d+$"))
    expect(page.locator(".alert-success")).to_be_visible()
    return page.url


def _reload_until(page, url: str, find, timeout: float = 15):
    """Opens ``url`` again until ``find(page)`` locates something; returns that locator."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        found = find(page)
        if found.count() or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def _open_task_in(page, served, view: str, title: str, timeout: float) -> None:
    link = _reload_until(page, f"{served.url}/inbox?view={view}",
                         lambda p: p.get_by_role("link", name=title, exact=True), timeout)
    link.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def open_group_task(page, served, title: str, timeout: float = 15) -> None:
    """Opens the first task called ``title`` in the inbox of the signed-in
    person's groups ("For my groups"); ``timeout``: how long it may take to come."""
    _open_task_in(page, served, "group", title, timeout)


def open_my_task(page, served, title: str, timeout: float = 15) -> None:
    """Opens the first task called ``title`` assigned to the signed-in person
    ("Assigned to me")."""
    _open_task_in(page, served, "mine", title, timeout)


def go_on_to(page, served, title: str) -> str:
    """After completing a step: the case's next step, assigned to the signed-in
    person. The task page leads straight to it when it is already open, else
    to the inbox. Returns the step's address."""
    if page.get_by_role("heading", level=1).text_content().strip() != title:
        open_my_task(page, served, title)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".task-meta")).to_contain_text("Assigned to you")
    return page.url


def open_case_waiting_for(page, case_url: str, task_title: str) -> None:
    """Opens a case page once its open tasks list ``task_title``."""
    listed = _reload_until(page, case_url, lambda p: p.locator("#tasks-title + * td", has_text=task_title))
    expect(listed.first).to_be_visible()


def open_case_once_completed(page, case_url: str) -> None:
    """Opens a case page once it says Completed: the steps after the last
    person's (closing notices and the like) run in the server's worker."""
    badge = _reload_until(page, case_url, lambda p: p.locator(".page-header .badge", has_text="Completed"), 30)
    expect(badge.first).to_be_visible()


def message(page, served, subject: str | re.Pattern):
    """The message with that subject on the signed-in person's Messages page."""
    found = _reload_until(page, f"{served.url}/messages",
                          lambda p: p.locator("li.message", has=p.get_by_role("heading", name=subject)))
    return found.first


def complete(page) -> None:
    page.get_by_role("button", name="Complete task").click()
    page.wait_for_load_state()


def label(text: str) -> re.Pattern:
    """A field's whole label, with or without the asterisk of a required one."""
    return re.compile(rf"^{re.escape(text)}( \*)?$")


def form(page):
    """The task's or start page's form (the page's diagram is labelled too)."""
    return page.locator("form.task-form")


def instructions(page):
    """The task page's "What to do"."""
    return page.locator("section[aria-labelledby='instructions-title']")


def shown(page, field_label: str):
    """The value a form shows read-only under that label."""
    term = page.locator("dt", has_text=re.compile(rf"^{re.escape(field_label)}$"))
    return page.locator("dl.field-readonly").filter(has=term).locator("dd")


def as_input(moment: datetime) -> str:
    """A moment as a datetime-local input takes it, to the second (Baton reads it as UTC)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def step(page, bpmn_id: str):
    """A step of the diagram drawn on the case page."""
    return page.locator(f".diagram .djs-element[data-element-id='{bpmn_id}']")


def diagram_drawn(page) -> None:
    expect(page.locator(".diagram")).to_have_attribute("data-diagram-state", "drawn", timeout=20_000)


def unexpected_errors(page, *expected: str) -> list[str]:
    """The page's errors other than the answers a test provoked on purpose
    (``"status of 422"``)."""
    return [e for e in page.errors if not any(code in e for code in expected)]


def open_case_waiting_on(page, case_url: str, waits_on: str):
    """Opens a case page once it says no person's step is open and names
    ``waits_on`` (a timer or message) as what it waits for; the automatic
    steps before it run in the server's worker. Returns that sentence."""
    sentence = _reload_until(page, case_url, lambda p: p.locator("#tasks-title + p", has_text=f"({waits_on})"))
    expect(sentence).to_contain_text("Nothing waits for a person now")
    return sentence
