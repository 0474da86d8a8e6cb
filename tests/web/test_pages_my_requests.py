"""My requests through Flask's test client: the person's own cases, newest
first, with how far each has come; the empty state; paging; and a number of
database statements that does not grow with the page."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import db
from app.services import tasks, users
from app.web.pages import my_requests
from tests.support.cases import make_people_and_processes, signed_in, start_failing_calculation, start_repair
from tests.support.widgets import html, one


@pytest.fixture
def people(app):
    make_people_and_processes(app)


def rows_of(doc) -> list[dict[str, str]]:
    """Each table row as {column label: its text, spaces squeezed}."""
    return [{td.get("data-label"): " ".join(td.text_content().split()) for td in tr.xpath("td")}
            for tr in doc.xpath("//table[contains(@class, 'requests-table')]/tbody/tr")]


def test_only_the_persons_own_cases_newest_first_with_their_progress(client, app, clock, people):
    waiting = start_repair(app, business_key="REP-1")                         # 09:00
    clock.advance(minutes=10)
    start_repair(app, starter="erin", business_key="ERIN-1")                  # someone else's
    clock.advance(minutes=10)
    assessed = start_repair(app, business_key="REP-2", assessed_as=True, clock=clock)   # 09:20
    clock.advance(minutes=10)
    done = start_repair(app, business_key=None, assessed_as=True, fixed=True, clock=clock)   # 10:00
    clock.advance(minutes=10)
    failed = start_failing_calculation(app)                                   # 12:40

    response = signed_in(client, "dave").get("/requests")
    assert response.status_code == 200
    doc = html(response)
    assert one(doc, "//h1").text == "My requests"
    assert "The 4 cases you started, newest first." in one(doc, "//p[@class='lead']").text
    assert one(doc, "//nav[@aria-label='Main']//a[@aria-current='page']").text.strip() == "My requests"
    assert rows_of(doc) == [
        {"Request": f"Calculation CALC-9 · Case {failed}", "Status": "Failed", "Started": "5 Jan 2026, 12:40 UTC",
         "Progress": "1 step done Failed at Compute total"},
        {"Request": f"Repair request Case {done['instance_id']}", "Status": "Completed",
         "Started": "5 Jan 2026, 10:00 UTC", "Progress": "2 steps done Complete"},
        {"Request": f"Repair request REP-2 · Case {assessed['instance_id']}", "Status": "Running",
         "Started": "5 Jan 2026, 09:20 UTC", "Progress": "1 step done Fix it: Unclaimed — for group it"},
        {"Request": f"Repair request REP-1 · Case {waiting['instance_id']}", "Status": "Running",
         "Started": "5 Jan 2026, 09:00 UTC",
         "Progress": "No steps done yet Assess the fault: Unclaimed — for group agents"},
    ]
    links = [a.get("href") for a in doc.xpath("//a[@class='request-link']")]
    assert links == [f"/instances/{i}" for i in (failed, done["instance_id"], assessed["instance_id"],
                                                 waiting["instance_id"])]
    # the bar: steps done out of done plus the fewest left to an end
    bars = [(p.get("value"), p.get("max")) for p in doc.xpath("//progress")]
    assert bars == [("1", "2"), ("2", "2"), ("1", "2"), ("0", "2")]
    assert "ERIN-1" not in response.get_data(as_text=True)


def test_a_claimed_task_names_who_holds_it(client, app, clock, people):
    case = start_repair(app, assessed_as=True, clock=clock)
    with app.app_context():
        tasks.claim(case["task_ids"]["fix"], users.get_user("ivan"))
        db.session.remove()
    doc = html(signed_in(client, "dave").get("/requests"))
    assert rows_of(doc)[0]["Progress"] == "1 step done Fix it: Ivan IT"


def test_the_empty_state_points_to_the_catalogue(client, app, people):
    start_repair(app, starter="erin")
    doc = html(signed_in(client, "dave").get("/requests"))
    empty = one(doc, "//section[contains(@class, 'empty-state')]")
    assert one(empty, "h2").text == "You haven’t asked for anything yet"
    assert one(empty, ".//a").get("href") == "/catalogue"
    assert not doc.xpath("//table") and not doc.xpath("//nav[@class='pager']")


def test_fifty_to_a_page(client, app, clock, people):
    assert my_requests.PAGE_SIZE == 50
    ids = []
    for n in range(51):
        ids.append(start_repair(app, business_key=f"REP-{n}")["instance_id"])
        clock.advance(minutes=1)
    dave = signed_in(client, "dave")

    first = html(dave.get("/requests"))
    assert [r["Request"].split(" · ")[0] for r in rows_of(first)] == \
        [f"Repair request REP-{n}" for n in range(50, 0, -1)]
    pager = one(first, "//nav[@class='pager']")
    assert one(pager, ".//span").text == "Page 1 of 2"
    assert [(a.get("rel"), a.get("href")) for a in pager.xpath(".//a")] == [("next", "/requests?page=2")]

    second = html(dave.get("/requests?page=2"))
    assert [r["Request"] for r in rows_of(second)] == [f"Repair request REP-0 · Case {ids[0]}"]
    assert [(a.get("rel"), a.get("href")) for a in second.xpath("//nav[@class='pager']//a")] == \
        [("prev", "/requests")]
    assert one(second, "//caption").text == "Your requests, newest first, page 2 of 2"

    for nonsense in ("abc", "0", "-1", "²", ""):
        assert len(rows_of(html(dave.get(f"/requests?page={nonsense}")))) == 50, nonsense
    for beyond in ("3", "9" * 5000):
        page = dave.get(f"/requests?page={beyond}")
        assert page.status_code == 200
        doc = html(page)
        assert not rows_of(doc)
        assert one(doc, "//section[contains(@class, 'empty-state')]//a").get("href") == "/requests"
        assert [(a.get("rel"), a.get("href")) for a in doc.xpath("//nav[@class='pager']//a")] == \
            [("prev", "/requests?page=2")]


def test_the_number_of_statements_does_not_grow_with_the_page(client, app, clock, people):
    dave = signed_in(client, "dave")

    def statements_for_the_page() -> int:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(args[2])   # noqa: E731 - the statement
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            assert dave.get("/requests").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    start_repair(app, assessed_as=True, clock=clock)
    start_failing_calculation(app)
    statements_for_the_page()   # the first reading of a process parses its diagram, once
    few = statements_for_the_page()
    for n in range(6):
        start_repair(app, business_key=f"MORE-{n}", assessed_as=n % 2 == 0, clock=clock)
        start_failing_calculation(app)
    assert statements_for_the_page() == few

def test_signing_in_is_required(client, app, people):
    response = client.get("/requests?page=2")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/requests?page%3D2"
