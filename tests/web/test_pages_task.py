"""The task page through Flask's test client: every form widget, the
instructions, the case beside the form, who may open and post it, mistakes
answered with the form again, and where completing leads."""
from __future__ import annotations

import lxml.html
import sqlalchemy as sa

from app.models import AuditEvent, HumanTask, Instance, db
from app.services import tasks, users
from tests.support.cases import make_people_and_processes, start_repair
from tests.support.pages import csrf_token
from tests.support.widgets import (
    GOOD_POST, html, one, post_task, signed_in, task_row, textarea)


def test_every_widget_is_drawn(client, widget_case):
    response = signed_in(client, "alice").get(f"/tasks/{widget_case['task_id']}")
    assert response.status_code == 200
    doc = html(response)
    form = one(doc, "//form[@class='task-form']")
    assert form.get("novalidate") is not None and form.xpath(".//input[@name='csrf_token']")

    # ui:order: first earlier data (a name only the UI schema lists, then a ui:readonly field),
    # "*" standing for the fields it does not name, and "website" after them
    fields = form.xpath(".//*[contains(concat(' ', @class, ' '), ' field ')]")
    assert [f.xpath("string(dt)") if f.tag == "dl" else f.xpath(".//*[@name]")[0].get("name") for f in fields] == [
        "Ticket", "Requester", "summary", "details", "quantity", "budget", "priority", "channel", "urgent",
        "approved", "needed_by", "contact", "tags", "platforms", "website"]
    assert [e.text_content() for e in form.xpath(".//dl/dd")] == ["INC-42", "Dave Daniels"]
    assert not form.xpath(".//*[@name='requester' or @name='ticket_ref']")

    summary = one(form, ".//input[@name='summary']")
    assert (summary.get("type"), summary.get("placeholder"), summary.get("maxlength")) == \
        ("text", "One line the inbox shows", "80")
    assert summary.get("required") is not None and summary.get("aria-describedby") == "f-summary-help"
    assert one(form, ".//p[@id='f-summary-help']").text == "At least five characters."
    assert "*" in one(form, ".//label[@for='f-summary']").text_content()
    details = one(form, ".//textarea[@name='details']")
    assert details.get("rows") == "3" and details.get("aria-describedby") == "f-details-desc"
    assert one(form, ".//p[@id='f-details-desc']").text == "What needs doing, and why."
    quantity, budget = one(form, ".//input[@name='quantity']"), one(form, ".//input[@name='budget']")
    assert (quantity.get("type"), quantity.get("inputmode")) == ("text", "numeric")
    assert (budget.get("type"), budget.get("inputmode")) == ("text", "decimal")
    priority = one(form, ".//select[@name='priority']")
    assert [(o.get("value"), o.text, o.get("selected") is not None) for o in priority.xpath("option")] == [
        ("", "Choose…", False), ("low", "low", False), ("normal", "normal", True), ("high", "high", False)]
    channel = one(form, ".//fieldset[legend[contains(., 'How to reach the requester')]]")
    assert [(i.get("type"), i.get("value")) for i in channel.xpath(".//input")] == [
        ("radio", "phone"), ("radio", "mail")]
    assert [label.text for label in channel.xpath(".//label")] == ["By phone", "By email"]
    urgent = one(form, ".//input[@name='urgent']")
    assert (urgent.get("type"), urgent.get("value"), urgent.get("checked")) == ("checkbox", "true", None)
    approved = one(form, ".//fieldset[legend[contains(., 'Is the budget approved?')]]")
    assert [(i.get("value"), i.get("required") is not None) for i in approved.xpath(".//input[@type='radio']")] \
        == [("true", True), ("false", True)]
    assert [label.text for label in approved.xpath(".//label")] == ["Yes", "No"]
    assert one(form, ".//input[@name='needed_by']").get("type") == "date"
    assert one(form, ".//input[@name='contact']").get("type") == "email"
    assert one(form, ".//input[@name='website']").get("type") == "url"
    assert textarea(form, "tags") == "vpn\nlaptop"   # the task's data fills the form
    assert one(form, ".//p[@id='f-tags-help']").text == "One per line. Words to find the work by."
    platforms = one(form, ".//fieldset[legend[contains(., 'Platforms')]]")
    assert [(i.get("type"), i.get("value")) for i in platforms.xpath(".//input")] == [
        ("checkbox", "windows"), ("checkbox", "mac"), ("checkbox", "linux")]
    assert [label.text for label in platforms.xpath(".//label")] == ["Windows", "macOS", "Linux"]
    assert one(form, ".//button[@type='submit']").text == "Complete task"


def test_the_instructions_are_markdown_filled_from_the_case_and_sanitised(client, widget_case):
    page = signed_in(client, "alice").get(f"/tasks/{widget_case['task_id']}").get_data(as_text=True)
    doc = lxml.html.fromstring(page)
    instructions = one(doc, "//section[contains(@class, 'prose')]")
    assert one(instructions, ".//strong").text == "Dave Daniels"
    assert "ticket INC-42" in instructions.text_content()
    link = one(instructions, ".//a")
    assert link.get("href") == "https://example.com/guide" and "noopener" in link.get("rel")
    assert [li.text_content() for li in instructions.xpath(".//li")] == [
        "Read the guide first", "Then describe the work below"]
    assert not instructions.xpath(".//script | .//img") and "tracker.example" not in page


def test_the_case_beside_the_form(client, widget_case):
    doc = html(signed_in(client, "alice").get(f"/tasks/{widget_case['task_id']}"))
    facts = one(doc, "//dl[@class='facts']").text_content()
    for fact in ("Widget check", "WID-1", "Running", "Dave Daniels", "5 Jan 2026, 09:00 UTC"):
        assert fact in facts
    history = [e.text for e in doc.xpath("//ol[@class='timeline']//span[@class='timeline-text']")]
    assert history == ["Task opened: Describe the work", "Dave Daniels started the case"]   # newest first
    box = one(doc, "//div[@data-diagram-url]")
    assert box.get("data-diagram-url") == f"/instances/{widget_case['instance_id']}/diagram.bpmn"
    assert (box.get("data-active"), box.get("data-completed"), box.get("data-failed")) == ("describe", "start", "")
    assert "current step: Describe the work" in box.get("aria-label")
    assert doc.xpath("//script[contains(@src, 'js/diagram.js')]")
    assert one(doc, "//p[@class='eyebrow']").text == "Widget check · WID-1"


def test_who_may_open_the_task(client, widget_case, app):
    path = f"/tasks/{widget_case['task_id']}"
    signed_out = client.get(path)
    assert signed_out.status_code == 302 and signed_out.headers["Location"] == f"/login?next={path}"

    other_group = signed_in(client, "ivan").get(path)
    assert other_group.status_code == 403 and "You can’t open this page" in other_group.get_data(as_text=True)
    token = csrf_token(client.get("/catalogue").data)
    assert client.post(path, data={**GOOD_POST, "csrf_token": token}).status_code == 403
    assert client.get("/tasks/no-such-task").status_code == 404
    assert "Page not found" in client.get("/tasks/no-such-task").get_data(as_text=True)

    for name, reason in (("dave", "This task is for the agents group; you can follow it here."),
                         ("audrey", "Auditors can read every task but work on none.")):
        client.post("/logout", data={"csrf_token": csrf_token(client.get("/catalogue").data)})
        page = signed_in(client, name).get(path)
        assert page.status_code == 200
        doc = html(page)
        assert not doc.xpath("//form[@class='task-form']")
        assert reason in one(doc, "//section[h2=\"You can't work on this task\"]").text_content()
    assert task_row(app, widget_case["task_id"]).state == "open"


def test_a_post_with_two_mistakes_comes_back_with_every_value_kept(client, widget_case, app):
    post = {**GOOD_POST, "summary": "VPN", "quantity": "twelve", "details": "\nStarts with a blank line"}
    response = post_task(signed_in(client, "alice"), widget_case["task_id"], post)
    assert response.status_code == 422
    doc = html(response)
    assert one(doc, "//title").text.startswith("Error: ")
    summary = one(doc, "//div[@class='error-summary']")
    assert summary.get("role") == "alert" and one(summary, "h2").text == "There are 2 problems"
    assert [(a.get("href"), a.text) for a in summary.xpath(".//a")] == [
        ("#f-summary", "Summary: At least 5 characters."), ("#f-quantity", "Quantity: Must be a whole number.")]
    for name, message in (("summary", "At least 5 characters."), ("quantity", "Must be a whole number.")):
        field = one(doc, f"//input[@name='{name}']")
        assert field.get("aria-invalid") == "true" and f"f-{name}-error" in field.get("aria-describedby").split()
        assert one(doc, f"//p[@id='f-{name}-error']").text == message
    assert len(doc.xpath("//*[@aria-invalid]")) == 2

    # every value exactly as typed
    assert one(doc, "//input[@name='summary']").get("value") == "VPN"
    assert one(doc, "//input[@name='quantity']").get("value") == "twelve"
    assert one(doc, "//input[@name='budget']").get("value") == "99.5"
    assert textarea(doc, "details") == "\nStarts with a blank line"
    assert textarea(doc, "tags") == "vpn\nremote"
    assert one(doc, "//select[@name='priority']/option[@selected]").get("value") == "high"
    assert [i.get("value") for i in doc.xpath("//input[@type='radio'][@checked]")] == ["phone", "true"]
    assert [i.get("value") for i in doc.xpath("//input[@name='platforms'][@checked]")] == ["mac", "linux"]
    assert one(doc, "//input[@name='urgent']").get("checked") is not None
    assert one(doc, "//input[@name='needed_by']").get("value") == "2026-02-01"
    assert one(doc, "//input[@name='contact']").get("value") == "dave@example.com"

    assert task_row(app, widget_case["task_id"]).state == "open"
    with app.app_context():
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                     .where(AuditEvent.type == "task_completed"))


def test_mistakes_the_service_finds_come_back_too(client, widget_case, app):
    post = {k: v for k, v in GOOD_POST.items() if k not in ("approved", "channel")}
    post.update(quantity="12", contact="not an address", urgent="")
    response = post_task(signed_in(client, "alice"), widget_case["task_id"], post)
    assert response.status_code == 422
    doc = html(response)
    errors = {p.get("id"): p.text for p in doc.xpath("//p[@class='field-error']")}
    assert errors == {"f-quantity-error": "Must be at most 10.", "f-channel-error": "This field is required.",
                      "f-approved-error": "This field is required.",   # an unanswered yes/no is no "no"
                      "f-contact-error": "Must be a valid email address."}
    links = [a.get("href") for a in doc.xpath("//div[@class='error-summary']//a")]
    assert links == ["#f-quantity", "#f-channel-0", "#f-approved-0", "#f-contact"]   # the form's order
    assert one(doc, "//fieldset[legend[contains(., 'Is the budget approved?')]]").get("aria-describedby") \
        == "f-approved-error"
    assert not doc.xpath("//input[@name='approved'][@checked]")
    assert task_row(app, widget_case["task_id"]).state == "open"


def test_completing_leads_to_the_next_task_then_back_with_a_confirmation(client, widget_case, app):
    signed_in(client, "alice")
    response = post_task(client, widget_case["task_id"], GOOD_POST)
    assert response.status_code == 303
    with app.app_context():
        instance = db.session.get(Instance, widget_case["instance_id"])
        next_task = db.session.scalar(sa.select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                                 HumanTask.state == "open"))
        assert instance.data["quantity"] == 2 and instance.data["platforms"] == ["mac", "linux"]
        assert instance.data["tags"] == ["vpn", "remote"] and instance.data["approved"] is True
        db.session.remove()
    assert response.headers["Location"] == f"/tasks/{next_task.id}"

    page = client.get(response.headers["Location"])
    doc = html(page)
    assert one(doc, "//h1").text == "Check the work"
    assert one(doc, "//div[@class='flashes']").text_content().strip() == "Task 'Describe the work' completed."
    # Jinja naming data the case lacks: the text as written, not a hole or an error page
    assert "Compare with {{ no_such_thing.size }} before you finish." in one(
        doc, "//section[contains(@class, 'prose')]").text_content()
    assert "Nothing to fill in here" in one(doc, "//form[@class='task-form']").text_content()
    history = [e.text for e in doc.xpath("//span[@class='timeline-text']")]
    assert history[:3] == ["Task opened: Check the work", "Log the work finished",
                           "Alice Agent completed Describe the work"]
    box = one(doc, "//div[@data-diagram-url]")
    assert box.get("data-active") == "check" and box.get("data-completed").split() == ["start", "describe", "log"]

    done = post_task(client, next_task.id, {})
    assert done.status_code == 303 and done.headers["Location"] == "/inbox"   # nothing more here: the inbox
    landing = client.get("/inbox").get_data(as_text=True)
    assert "Task &#39;Check the work&#39; completed." in landing
    with app.app_context():
        assert db.session.get(Instance, widget_case["instance_id"]).status == "completed"


def test_a_task_someone_else_completed_meanwhile(client, widget_case, app):
    signed_in(client, "alice")
    token = csrf_token(client.get(f"/tasks/{widget_case['task_id']}").data)
    with app.app_context():
        tasks.complete(widget_case["task_id"], {"summary": "Done by Bob", "quantity": 1, "priority": "low",
                                         "channel": "mail", "approved": False}, users.get_user("bob"))
        db.session.remove()
    response = client.post(f"/tasks/{widget_case['task_id']}", data={**GOOD_POST, "csrf_token": token})
    assert response.status_code == 409
    doc = html(response)
    assert "no longer open" in one(doc, "//div[@role='alert']").text
    closed = one(doc, "//section[h2='This task is completed']").text_content()
    assert "Bob Builder completed it on 5 Jan 2026, 09:00 UTC." in closed
    assert not doc.xpath("//form[@class='task-form']")


def test_a_step_without_instructions_shows_its_documentation(client, app):
    make_people_and_processes(app)
    case = start_repair(app)
    doc = html(signed_in(client, "alice").get(f"/tasks/{case['task_ids']['assess']}"))
    assert one(doc, "//p[@class='lead']").text == "Look at the device and say whether it can be fixed."
    assert not doc.xpath("//section[@aria-labelledby='instructions-title']")
