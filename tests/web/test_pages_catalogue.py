"""The service catalogue and a service's start page through Flask's test
client: services grouped by category, the text filter, the start form drawn
like a task's, mistakes answered with the form again and nothing started,
and where a started request leads; auditors and strangers."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.models import Instance, db
from app.services import deployments, users
from tests.support.catalogue import folder, message_started, service
from tests.support.pages import csrf_token, sign_in
from tests.support.widgets import html, one, textarea

PASSWORD = "secret"
LONG_DOCUMENTATION = ("Order furniture for an office, a meeting room or a whole floor, from the company's "
                      "catalogue of desks, chairs, screens, lamps and cupboards, delivered and assembled "
                      "by facilities. Allow two weeks.")
ACCESS_POST = {"system": "Finance share", "days": "14", "reason": "Quarter close\nwith the auditors"}


@pytest.fixture
def people(app):
    with app.app_context():
        for name, role in (("olga", "owner"), ("dave", None), ("alice", None), ("audrey", "auditor")):
            users.add_user(name, groups=["agents"] if name == "alice" else [], role=role, password=PASSWORD,
                           display_name=name.capitalize())
        db.session.remove()


@pytest.fixture
def catalogue(app, people):
    """Olga deployed the laptop (no start form), access (a start form) and expense
    services, furniture (a long description), one without a category and a
    process a message starts."""
    with app.app_context():
        olga = users.get_user("olga")
        for files in (folder("laptop"), folder("access"),
                      {**folder("expense"), **message_started("mailed_ticket"),
                       **service("furniture", "Office furniture", category="Facilities",
                                 documentation=LONG_DOCUMENTATION),
                       **service("misc", "Anything else")}):
            deployments.deploy(files, olga, source="test")
        db.session.remove()


def signed_in(client, name: str):
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def instance_count(app) -> int:
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Instance))
        db.session.remove()
        return count


def cards(doc) -> dict[str, list[str]]:
    """Category heading -> the names on its cards, in page order."""
    return {section.xpath("string(h2)"): [h.text_content() for h in section.xpath(".//li/h3")]
            for section in doc.xpath("//section[@class='catalogue-group']")}


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


# --- the catalogue ------------------------------------------------------------------


def test_services_are_grouped_by_category_in_the_catalogue_order(client, catalogue):
    response = signed_in(client, "dave").get("/catalogue")
    assert response.status_code == 200
    doc = html(response)
    assert one(doc, "//h1").text == "Service catalogue"
    assert cards(doc) == {
        "People": ["Access to a system"],
        "Assets & software": ["Laptop request"],
        "Cases": ["Expense claim"],
        "Facilities": ["Office furniture"],
        "Other services": ["Anything else"],
    }
    assert "Mailed ticket" not in response.get_data(as_text=True)   # a message starts it, not a person
    laptop = one(doc, "//li[h3='Laptop request']")
    assert laptop.xpath("string(p[@class='service-summary'])") == \
        "Ask for a new laptop; an agent reviews, IT hands it over."
    request_link = one(laptop, ".//a[contains(@class, 'btn')]")
    assert request_link.get("href") == "/catalogue/laptop_request"
    assert request_link.text_content() == "Request Laptop request"   # "Request" plus a hidden name
    assert "No form to fill in" in laptop.text_content()
    access = one(doc, "//li[h3='Access to a system']")
    assert access.xpath("string(p[@class='service-summary'])") == "Ask for access to a system for a limited time."
    assert "No form to fill in" not in access.text_content()


def test_the_one_line_description_is_cut_at_a_word(client, catalogue):
    doc = html(signed_in(client, "dave").get("/catalogue"))
    summary = one(doc, "//li[h3='Office furniture']/p[@class='service-summary']").text
    assert summary.endswith("…") and len(summary) <= 160
    assert LONG_DOCUMENTATION.startswith(summary[:-1]) and LONG_DOCUMENTATION[len(summary) - 1] in " ,"
    assert "Allow two weeks" not in summary


def test_only_the_latest_version_is_listed(app, client, catalogue):
    with app.app_context():
        deployments.deploy(service("misc", "Anything else, really", category="People"), users.get_user("olga"))
        db.session.remove()
    doc = html(signed_in(client, "dave").get("/catalogue"))
    assert cards(doc)["People"] == ["Access to a system", "Anything else, really"]
    assert "Other services" not in cards(doc)


def test_the_text_filter_narrows_by_name_and_description_without_javascript(client, catalogue):
    signed_in(client, "dave")
    doc = html(client.get("/catalogue"))
    search = one(doc, "//form[@role='search']")
    assert search.get("method") == "get" and not search.xpath(".//input[@name='csrf_token']")
    assert one(search, ".//label").get("for") == one(search, ".//input[@name='q']").get("id")

    doc = html(client.get("/catalogue?q=LAPTOP"))
    assert cards(doc) == {"Assets & software": ["Laptop request"]}
    assert one(doc, "//input[@name='q']").get("value") == "LAPTOP"
    assert "1 service matches “LAPTOP”" in one(doc, "//p[@class='catalogue-result']").text_content()
    assert cards(html(client.get("/catalogue?q=limited+time"))) == {"People": ["Access to a system"]}

    response = client.get("/catalogue?q=submarine")
    assert response.status_code == 200 and cards(html(response)) == {}
    assert "No service matches “submarine”" in response.get_data(as_text=True)
    assert client.get("/catalogue?q=" + "x" * 5000).status_code == 200


def test_an_empty_catalogue_says_so(client, people):
    doc = html(signed_in(client, "dave").get("/catalogue"))
    assert one(doc, "//div[contains(@class, 'empty-state')]/h2").text == "No services yet"
    assert not doc.xpath("//form[@role='search']")


def test_sign_in_is_required(client, catalogue):
    for path in ("/catalogue", "/catalogue?q=laptop", "/catalogue/access_request"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert client.post("/catalogue/access_request", data=ACCESS_POST).status_code in (302, 400)


# --- a service's start page ---------------------------------------------------------


def test_the_start_page_draws_the_start_form(client, catalogue):
    response = signed_in(client, "dave").get("/catalogue/access_request")
    assert response.status_code == 200
    doc = html(response)
    assert one(doc, "//h1").text == "Access to a system"
    assert one(doc, "//p[@class='eyebrow']").text_content() == "Service catalogue · People"
    # The first paragraph says what the service is; the rest waits behind a disclosure.
    assert [p.text for p in doc.xpath("//div[@class='service-description']/p")] == [
        "Ask for access to a system for a limited time. You confirm the details, and the access ends by itself "
        "when the time is up."]
    more = one(doc, "//div[@class='service-description']/details")
    assert one(more, "summary").text == "More about how this works"
    assert [p.text for p in more.xpath("p")] == [
        "Use it for shared drives, test servers and the like; production systems have their own change process."]
    form = one(doc, "//form[contains(@class, 'task-form')]")
    assert (form.get("method"), form.get("action")) == ("post", "/catalogue/access_request")
    assert form.xpath(".//input[@name='csrf_token']")
    assert one(form, ".//h2").text == "Which access do you need?"
    assert [e.get("name") for e in form.xpath(".//*[contains(@class, 'field')]//*[@name]")] == [
        "system", "days", "reason"]
    system = one(form, ".//input[@name='system']")
    assert system.get("required") is not None and system.get("maxlength") == "100"
    assert one(form, ".//input[@name='days']").get("inputmode") == "numeric"
    assert one(form, ".//p[@id='f-days-help']").text == "At most 90; ask again when it runs out."
    assert one(form, ".//textarea[@name='reason']").get("rows") == "3"
    assert one(form, ".//button[@type='submit']").text == "Start request"


def test_a_service_without_a_start_form_asks_only_to_confirm(client, catalogue):
    doc = html(signed_in(client, "dave").get("/catalogue/laptop_request"))
    form = one(doc, "//form[contains(@class, 'task-form')]")
    assert [i.get("name") for i in form.xpath(".//input | .//select | .//textarea")] == ["csrf_token"]
    assert one(form, ".//button[@type='submit']").text == "Start"


def test_a_post_with_two_mistakes_comes_back_with_the_values_and_starts_nothing(app, client, catalogue):
    signed_in(client, "dave")
    token = csrf_token(client.get("/catalogue/access_request").data)
    response = client.post("/catalogue/access_request",
                           data={**ACCESS_POST, "system": "ab", "days": "two weeks", "csrf_token": token})
    assert response.status_code == 422
    doc = html(response)
    assert one(doc, "//title").text.startswith("Error: Access to a system")
    summary = one(doc, "//div[@class='error-summary']")
    assert one(summary, "h2").text == "There are 2 problems"
    assert [(a.get("href"), a.text) for a in summary.xpath(".//a")] == [
        ("#f-system", "System: At least 3 characters."), ("#f-days", "For how many days? Must be a whole number.")]
    assert one(doc, "//p[@id='f-system-error']").text == "At least 3 characters."
    assert one(doc, "//p[@id='f-days-error']").text == "Must be a whole number."
    system, days = one(doc, "//input[@name='system']"), one(doc, "//input[@name='days']")
    assert (system.get("value"), system.get("aria-invalid")) == ("ab", "true")
    assert (days.get("value"), days.get("aria-invalid")) == ("two weeks", "true")
    assert "f-days-error" in days.get("aria-describedby")
    assert textarea(doc, "reason") == "Quarter close\nwith the auditors"
    assert instance_count(app) == 0


def test_a_good_post_starts_the_case_and_leads_to_the_starters_first_task(app, client, catalogue):
    signed_in(client, "dave")
    token = csrf_token(client.get("/catalogue/access_request").data)
    response = client.post("/catalogue/access_request", data={**ACCESS_POST, "csrf_token": token})
    assert response.status_code == 303
    with app.app_context():
        instance = db.session.scalars(sa.select(Instance)).one()
        assert (instance.definition_key, instance.started_by) == ("access_request", "dave")
        assert instance.data == {"system": "Finance share", "days": 14, "reason": "Quarter close\nwith the auditors"}
        task_id = instance.open_tasks[0].id
        db.session.remove()
    assert response.headers["Location"] == f"/tasks/{task_id}"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert one(html(page), "//div[@class='flashes']/p").text == \
        "Your request 'Access to a system' has started. Its next step is yours: 'Confirm the access details'."


def test_a_request_with_no_task_for_the_starter_leads_to_the_case(app, client, catalogue):
    signed_in(client, "dave")
    token = csrf_token(client.get("/catalogue/laptop_request").data)
    response = client.post("/catalogue/laptop_request", data={"csrf_token": token})
    assert response.status_code == 303
    with app.app_context():
        instance = db.session.scalars(sa.select(Instance)).one()
        assert (instance.definition_key, instance.started_by, instance.data) == ("laptop_request", "dave", {})
        instance_id = instance.id
        case_page_exists = "pages.instance" in app.view_functions
        db.session.remove()
    # The first task is the agents', not Dave's: he follows his request on its page.
    assert response.headers["Location"] == (f"/instances/{instance_id}" if case_page_exists else "/catalogue")
    assert flashes(client) == [("success", "Your request 'Laptop request' has started. "
                                           "It now waits for the people who handle it.")]


def test_a_post_without_the_csrf_token_is_refused(app, client, catalogue):
    response = signed_in(client, "dave").post("/catalogue/access_request", data=ACCESS_POST)
    assert response.status_code == 400 and instance_count(app) == 0


# --- who may do what -----------------------------------------------------------------


def test_auditors_read_the_catalogue_and_forms_but_start_nothing(app, client, catalogue):
    signed_in(client, "audrey")
    doc = html(client.get("/catalogue"))
    assert "you can’t request anything" in one(doc, "//p[contains(@class, 'alert-info')]").text
    assert len(cards(doc)) == 5 and not doc.xpath("//a[starts-with(., 'Request')]")
    assert one(doc, "//li[h3='Access to a system']//a").text_content() == "See the form for Access to a system"

    response = client.get("/catalogue/access_request")
    assert response.status_code == 200
    doc = html(response)
    assert one(doc, "//section[@class='card']/h2").text == "You can’t start this request"
    preview = one(doc, "//fieldset[contains(@class, 'start-preview')]")
    assert preview.get("disabled") is not None and preview.xpath(".//input[@name='system']")
    assert not doc.xpath("//form[@method='post'][contains(@class, 'task-form')]")
    assert not doc.xpath("//main//button[@type='submit']")

    token = csrf_token(response.data)   # the sign-out form's: the session's token
    for data in (ACCESS_POST, {"system": "x"}):   # mistakes or not: the answer is no
        refused = client.post("/catalogue/access_request", data={**data, "csrf_token": token})
        assert refused.status_code == 403
        assert "start nothing" in refused.get_data(as_text=True)
    assert instance_count(app) == 0


def test_unknown_and_message_started_services_are_not_found(client, catalogue):
    signed_in(client, "dave")
    token = csrf_token(client.get("/catalogue").data)
    for key in ("nothing-here", "mailed_ticket", "a%20b"):
        response = client.get(f"/catalogue/{key}")
        assert response.status_code == 404
        assert one(html(response), "//h1").text == "Page not found"
        assert client.post(f"/catalogue/{key}", data={"csrf_token": token}).status_code == 404


def test_the_task_page_still_leads_to_the_next_task_of_the_case(app, client, catalogue):
    """The next-step logic the task page shares with the start page."""
    signed_in(client, "dave")
    token = csrf_token(client.get("/catalogue/access_request").data)
    first = client.post("/catalogue/access_request", data={**ACCESS_POST, "csrf_token": token})
    task_path = first.headers["Location"]
    done = client.post(task_path, data={"csrf_token": token})
    assert done.status_code == 303
    # The case has ended: no next task, so the inbox (or the catalogue while there is none).
    assert re.fullmatch(r"/(inbox|catalogue)", done.headers["Location"])


def test_a_service_for_one_group_is_not_offered_to_others_and_says_who_starts_it(app, client, catalogue):
    with app.app_context():
        deployments.deploy(service("onboard", "Onboard a new hire", category="People", starter_groups="agents"),
                           users.get_user("olga"), source="test")
        db.session.remove()
    signed_in(client, "dave")
    assert cards(html(client.get("/catalogue")))["People"] == ["Access to a system"]
    response = client.get("/catalogue/onboard")
    assert response.status_code == 200
    page = html(response)
    assert one(page, "//section[@class='card']/h2").text == "You can’t start this request"
    assert "Only the agents group may start this." in one(page, "//section[@class='card']/p[@class='muted']").text
    refused = client.post("/catalogue/onboard", data={"csrf_token": csrf_token(response.data)})
    assert refused.status_code == 403 and "Only the agents group may start this." in refused.get_data(as_text=True)
    assert instance_count(app) == 0

    client.post("/logout", data={"csrf_token": csrf_token(response.data)})
    signed_in(client, "alice")   # in agents
    assert cards(html(client.get("/catalogue")))["People"] == ["Access to a system", "Onboard a new hire"]
    response = client.get("/catalogue/onboard")
    started = client.post("/catalogue/onboard", data={"csrf_token": csrf_token(response.data)})
    assert started.status_code == 303 and instance_count(app) == 1
