"""The inbox page (/inbox) through Flask's test client: the tabs and their
counts, filters kept in every link, form and refresh, the partial htmx asks
for, claiming and releasing from the list, overdue rows, and sign-in."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from app.services import deployments, instances, users
from app.models import db
from app.web.pages.inbox import due_phrase, priority_label
from tests.support.bpmn import linear_process, user
from tests.support.pages import csrf_token, sign_in
from tests.support.widgets import html, one, task_row

PASSWORD = "secret"
PROCESSES = {
    "w.bpmn": linear_process("work", user("handle", "Handle request", camunda_candidateGroups="desk",
                                          camunda_dueDate="P1D", camunda_priority="80"), name="Service request"),
    "r.bpmn": linear_process("repair", user("fix", "Fix laptop", camunda_candidateGroups="desk"), name="Laptop repair"),
}


@pytest.fixture
def desk(app, clock) -> dict[str, str]:
    """Ann and Bob (desk), Nora (no group), Audrey (auditor); two service requests
    (due in a day, high priority) and one laptop repair waiting for the desk.
    Returns {business key: task id}."""
    with app.app_context():
        for name, groups, role in (("ann", ["desk"], None), ("bob", ["desk"], None), ("nora", [], None),
                                   ("audrey", ["desk"], "auditor"), ("olga", [], "owner")):
            users.add_user(name, groups=groups, role=role, password=PASSWORD, display_name=name.title())
        deployments.deploy(PROCESSES, users.get_user("olga"))
        found = {}
        for key, business_key in (("work", "REQ-1"), ("work", "REQ-2"), ("repair", "LAP-1")):
            clock.advance(minutes=1)
            found[business_key] = instances.start_instance(key, users.get_user("olga"),
                                                           business_key=business_key).open_tasks[0].id
        db.session.remove()
    return found


def signed_in(client, name: str):
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def tab(doc, label: str):
    return one(doc, f"//nav[@id='inbox-tabs']//a[starts-with(@aria-label, '{label}')]")


def tab_name(doc, label: str) -> str:
    """A tab's name as people hear it; the count shows in a pill beside the label."""
    found = tab(doc, label)
    assert found.xpath("string(span[@class='inbox-tab-count'])") in found.get("aria-label")
    return found.get("aria-label")


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_signing_in_is_required(client, desk):
    response = client.get("/inbox?view=group")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    # A refresh after the session ended sends the whole page to the sign-in form.
    response = client.get("/inbox", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login")


def test_tabs_show_the_views_and_their_counts(client, desk):
    doc = html(signed_in(client, "ann").get("/inbox"))
    assert tab_name(doc, "Assigned to me") == "Assigned to me (0)"
    assert tab_name(doc, "For my groups") == "For my groups (3)"
    assert tab(doc, "Assigned to me").get("aria-current") == "page"
    assert tab(doc, "For my groups").get("aria-current") is None
    assert one(doc, "//nav[@class='mainnav']//a[@aria-current='page']").text == "Inbox"
    empty = one(doc, "//section[@id='inbox-list']//div[contains(@class, 'empty-state')]")
    assert "Nothing is assigned to you" in empty.text_content()
    assert one(empty, ".//a").get("href") == "/inbox?view=group"

    doc = html(client.get("/inbox?view=group"))
    assert tab(doc, "For my groups").get("aria-current") == "page"
    rows = doc.xpath("//table[contains(@class, 'inbox-table')]/tbody/tr")
    assert len(rows) == 3
    # Soonest due first: the two requests (due tomorrow), then the repair (no due date).
    assert [r.xpath("string(td[@data-label='Case'])").strip() for r in rows] == ["REQ-1", "REQ-2", "LAP-1"]
    first = rows[0]
    assert one(first, ".//td[@data-label='Task']/a").get("href") == f"/tasks/{desk['REQ-1']}"
    assert first.xpath("string(td[@data-label='Process'])") == "Service request"
    assert one(first, ".//td[@data-label='Due']/time").text == "Due in 1 day"
    assert one(first, ".//td[@data-label='Priority']/span").text == "High"
    assert rows[2].xpath("string(td[@data-label='Priority'])") == "Normal"
    assert "No due date" in rows[2].xpath("string(td[@data-label='Due'])")
    assert "Unclaimed" in first.xpath("string(td[@data-label='Held by'])")


def test_filters_are_kept_in_links_forms_and_the_refresh(client, desk, app):
    app.config["BATON_INBOX_REFRESH_SECONDS"] = 7
    signed_in(client, "ann")
    path = "/inbox?view=group&process=work&q=req&sort=priority"
    doc = html(client.get(path))
    wanted = {"view": ["group"], "process": ["work"], "q": ["req"], "sort": ["priority"]}

    region = one(doc, "//section[@id='inbox-list']")
    assert query(region.get("hx-get")) == wanted and region.get("hx-get").startswith("/inbox?")
    assert region.get("hx-trigger") == "every 7s"
    assert region.get("hx-swap") == "outerMorph"
    assert {r.xpath("string(td[@data-label='Case'])").strip() for r in region.xpath(".//tbody/tr")} == {"REQ-1", "REQ-2"}
    assert query(tab(doc, "Assigned to me").get("href")) == {k: v for k, v in wanted.items() if k != "view"}
    assert tab_name(doc, "For my groups") == "For my groups (3)"   # counts are the views'
    for next_field in region.xpath(".//form//input[@name='next']"):
        assert query(next_field.get("value")) == wanted

    form = one(doc, "//form[contains(@class, 'inbox-filters')]")
    assert form.get("method") == "get" and form.get("action") == "/inbox"
    assert one(form, ".//input[@name='view']").get("value") == "group"
    assert one(form, ".//input[@name='q']").get("value") == "req"
    assert one(form, ".//select[@name='process']/option[@selected]").get("value") == "work"
    assert one(form, ".//select[@name='sort']/option[@selected]").get("value") == "priority"
    assert [o.text for o in form.xpath(".//select[@name='process']/option")] == \
        ["All processes", "Laptop repair", "Service request"]
    for control in ("q", "process", "sort"):   # every control has its label
        control_id = one(form, f".//*[@name='{control}']").get("id")
        one(form, f".//label[@for='{control_id}']")
    clear = one(form, ".//a[contains(., 'Clear filters')]")
    assert query(clear.get("href")) == {"view": ["group"], "sort": ["priority"]}


def test_an_htmx_refresh_gets_the_list_and_the_tabs_only(client, desk):
    signed_in(client, "ann")
    path = "/inbox?view=group&q=laptop"
    response = client.get(path, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    text = response.get_data(as_text=True)
    assert "<html" not in text and "inbox-filters" not in text
    doc = html(response)   # lxml wraps the fragment's top-level elements
    region = one(doc, "//section[@id='inbox-list']")
    assert query(region.get("hx-get")) == {"view": ["group"], "q": ["laptop"]}
    assert [r.xpath("string(td[@data-label='Case'])").strip() for r in region.xpath(".//tbody/tr")] == ["LAP-1"]
    tabs = one(doc, "//nav[@id='inbox-tabs']")
    assert tabs.get("hx-swap-oob") == "outerMorph"
    assert tab_name(doc, "For my groups") == "For my groups (3)"
    assert "Vary" in client.get(path).headers and "hx-swap-oob" not in client.get(path).get_data(as_text=True)


def test_claiming_from_the_list_moves_the_task_and_comes_back_to_the_filtered_inbox(client, desk, app):
    signed_in(client, "ann")
    path = "/inbox?view=group&q=req&sort=priority"
    doc = html(client.get(path))
    row = one(doc, f"//tr[@id='task-{desk['REQ-2']}']")
    form = one(row, ".//form")
    assert form.get("action") == f"/tasks/{desk['REQ-2']}/claim" and one(form, ".//button").text == "Claim"
    assert one(form, ".//input[@name='next']").get("value") == "/inbox?view=group&q=req&sort=priority"
    claimed = client.post(form.get("action"), data={"csrf_token": csrf_token(client.get(path).data),
                                                    "next": one(form, ".//input[@name='next']").get("value")})
    assert claimed.status_code == 303 and claimed.headers["Location"] == "/inbox?view=group&q=req&sort=priority"
    assert task_row(app, desk["REQ-2"]).assignee == "ann"

    doc = html(client.get(claimed.headers["Location"]))
    assert "You claimed 'Handle request'" in one(doc, "//div[@class='flashes']").text_content()
    assert not doc.xpath(f"//tr[@id='task-{desk['REQ-2']}']")
    assert tab_name(doc, "Assigned to me") == "Assigned to me (1)"
    assert tab_name(doc, "For my groups") == "For my groups (2)"
    # Bob's group view no longer offers it.
    bob = signed_in(app.test_client(), "bob")
    assert not html(bob.get("/inbox?view=group")).xpath(f"//tr[@id='task-{desk['REQ-2']}']")


def test_releasing_from_my_view(client, desk, app):
    signed_in(client, "ann")
    group = html(client.get("/inbox?view=group"))
    action = one(group, f"//tr[@id='task-{desk['LAP-1']}']//form").get("action")
    client.post(action, data={"csrf_token": csrf_token(client.get("/inbox").data), "next": "/inbox"})
    doc = html(client.get("/inbox?sort=created"))
    row = one(doc, f"//tr[@id='task-{desk['LAP-1']}']")
    assert row.xpath("string(td[@data-label='Held by'])").strip() == "You"
    form = one(row, ".//form")
    assert form.get("action") == f"/tasks/{desk['LAP-1']}/unclaim"
    assert one(form, ".//button").text == "Release"
    released = client.post(form.get("action"), data={"csrf_token": csrf_token(client.get("/inbox").data),
                                                     "next": one(form, ".//input[@name='next']").get("value")})
    assert released.status_code == 303 and released.headers["Location"] == "/inbox?sort=created"
    assert task_row(app, desk["LAP-1"]).assignee is None
    doc = html(client.get(released.headers["Location"]))
    assert "You released 'Fix laptop'" in doc.text_content()
    assert tab_name(doc, "Assigned to me") == "Assigned to me (0)"


def test_overdue_rows_stand_out_in_words(client, desk, clock):
    signed_in(client, "ann")
    doc = html(client.get("/inbox?view=group"))
    assert not doc.xpath("//tr[contains(@class, 'inbox-overdue')]")
    clock.advance(days=1, hours=3)
    doc = html(client.get("/inbox?view=group"))
    overdue = doc.xpath("//tr[contains(@class, 'inbox-overdue')]")
    assert {r.get("id") for r in overdue} == {f"task-{desk['REQ-1']}", f"task-{desk['REQ-2']}"}
    due = one(overdue[0], ".//td[@data-label='Due']")
    assert due.xpath("string(.//time)") in ("Overdue by 3 hours", "Overdue by 2 hours")
    assert one(due, ".//time").get("datetime").startswith("2026-01-06T09:0")
    assert "6 Jan 2026" in due.text_content()


def test_bad_query_parameters_fall_back_to_defaults(client, desk):
    signed_in(client, "ann")
    for path in ("/inbox?view=everything&sort=sideways&page=abc", "/inbox?page=-3&process=nope",
                 "/inbox?view=group&page=99999999999999999999999", "/inbox?page=%00&q=%25%25%5F",
                 "/inbox?view=group&per_page=100000&sort=", "/inbox?q=" + "x" * 5000):
        response = client.get(path)
        assert response.status_code == 200, path
    doc = html(client.get("/inbox?view=group&sort=sideways&page=99999999999999999999999&process=nope"))
    region = one(doc, "//section[@id='inbox-list']")
    assert region.get("hx-get") == "/inbox?view=group"   # what was applied, defaults left out
    assert len(region.xpath(".//tbody/tr")) == 3


def test_pages_of_tasks(client, desk, app, clock):
    with app.app_context():
        olga = users.get_user("olga")
        for n in range(60):
            clock.advance(seconds=1)
            instances.start_instance("repair", olga, business_key=f"BULK-{n}")
        db.session.remove()
    signed_in(client, "ann")
    doc = html(client.get("/inbox?view=group&sort=created&q=bulk"))
    assert "Showing 1–50 of 60 tasks" in one(doc, "//p[contains(@class, 'inbox-summary')]").text_content()
    pager = one(doc, "//nav[@class='pager']")
    assert "Page 1 of 2" in pager.text_content()
    following = one(pager, ".//a[@rel='next']").get("href")
    assert query(following) == {"view": ["group"], "sort": ["created"], "q": ["bulk"], "page": ["2"]}
    doc = html(client.get(following))
    assert len(doc.xpath("//table[contains(@class, 'inbox-table')]/tbody/tr")) == 10
    assert one(doc, "//section[@id='inbox-list']").get("hx-get") == following
    assert query(one(doc, "//nav[@class='pager']//a[@rel='prev']").get("href")) == \
        {"view": ["group"], "sort": ["created"], "q": ["bulk"]}


def test_empty_states(client, desk):
    doc = html(signed_in(client, "nora").get("/inbox?view=group"))
    assert "You are not in any group yet" in one(doc, "//div[contains(@class, 'empty-state')]").text_content()
    assert tab_name(doc, "For my groups") == "For my groups (0)"
    doc = html(client.get("/inbox"))
    assert "Tasks you claim" in one(doc, "//div[contains(@class, 'empty-state')]").text_content()
    ann = signed_in(client.application.test_client(), "ann")
    doc = html(ann.get("/inbox?view=group&q=nothing-like-this"))
    empty = one(doc, "//div[contains(@class, 'empty-state')]")
    assert "No tasks match your filters" in empty.text_content()
    assert one(empty, ".//a").get("href") == "/inbox?view=group"


def test_auditors_read_the_list_without_buttons(client, desk):
    doc = html(signed_in(client, "audrey").get("/inbox?view=group"))
    assert len(doc.xpath("//table[contains(@class, 'inbox-table')]/tbody/tr")) == 3
    assert not doc.xpath("//section[@id='inbox-list']//form")


@pytest.mark.parametrize("offset, phrase", [
    (timedelta(days=2), "Due in 2 days"), (timedelta(days=1, hours=13), "Due in 2 days"),
    (timedelta(hours=1), "Due in 1 hour"), (timedelta(minutes=40), "Due in 40 minutes"),
    (timedelta(seconds=20), "Due in less than a minute"), (timedelta(hours=-3), "Overdue by 3 hours"),
    (timedelta(days=-1), "Overdue by 1 day"), (timedelta(minutes=-1), "Overdue by 1 minute"),
])
def test_due_phrases(offset, phrase):
    now = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    assert due_phrase(now + offset, now) == phrase


def test_priority_labels():
    assert [priority_label(p)[0] for p in (100, 75, 74, 50, 26, 25, 0)] == \
        ["High", "High", "Normal", "Normal", "Normal", "Low", "Low"]
