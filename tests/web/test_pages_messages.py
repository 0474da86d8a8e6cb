"""The Messages page through Flask's test client: a person's own messages,
newest first, unread ones marked in words; Mark as read; nobody else's
messages, neither to read nor to mark; paging; the navigation's unread count."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import OutboxMessage, db
from app.services import outbox
from tests.support.cases import make_people_and_processes, signed_in, start_repair
from tests.support.pages import csrf_token
from tests.support.widgets import html, one


@pytest.fixture
def people(app):
    make_people_and_processes(app)


def send(app, to, subject: str, body: str = "Text", instance_id: int | None = None) -> None:
    with app.app_context():
        outbox.send(to, None, subject, body, instance_id=instance_id)
        db.session.remove()


def message_ids(app, recipient: str) -> list[int]:
    """The recipient's message ids, oldest first."""
    with app.app_context():
        ids = list(db.session.scalars(sa.select(OutboxMessage.id).where(OutboxMessage.recipient == recipient)
                                      .order_by(OutboxMessage.id)))
        db.session.remove()
        return ids


def shown(doc) -> list[dict]:
    return [{"subject": " ".join(one(li, ".//h2").text_content().split()),
             "new": bool(li.xpath(".//*[contains(@class, 'message-new')]")),
             "body": one(li, ".//div[@class='message-body']").text_content(),
             "case": [a.get("href") for a in li.xpath(".//p[@class='message-meta']/a")],
             "button": bool(li.xpath(".//form//button[starts-with(normalize-space(.), 'Mark as read')]"))}
            for li in doc.xpath("//ol[@class='message-list']/li")]


def nav_label(doc) -> str:
    return " ".join(one(doc, "//nav[@aria-label='Main']//a[@href='/messages']").text_content().split())


def test_sign_in_is_required(app, client, people):
    response = client.get("/messages")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/messages"
    send(app, "dave", "Hello")
    [message_id] = message_ids(app, "dave")
    token = csrf_token(client.get("/login").data)
    response = client.post(f"/messages/{message_id}/read", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_the_persons_own_messages_newest_first(app, client, clock, people):
    case = start_repair(app)
    send(app, "dave", "Your request was received", "We got it.\nSomeone will look at it <b>soon</b>.",
         instance_id=case["instance_id"])
    clock.advance(minutes=5)
    send(app, ["dave", "erin"], "Office closed on Friday")
    send(app, "erin", "Only for Erin")

    response = signed_in(client, "dave").get("/messages")
    assert response.status_code == 200
    doc = html(response)
    assert one(doc, "//h1").text == "Messages"
    assert "2 messages, 2 unread, newest first." in one(doc, "//p[@class='lead']").text
    assert shown(doc) == [
        {"subject": "New Office closed on Friday", "new": True, "body": "Text", "case": [], "button": True},
        {"subject": "New Your request was received", "new": True,
         "body": "We got it.\nSomeone will look at it <b>soon</b>.",          # plain text, line breaks kept
         "case": [f"/instances/{case['instance_id']}"], "button": True},
    ]
    assert "<b>soon</b>" not in response.get_data(as_text=True)               # escaped, not markup
    times = [t.text for t in doc.xpath("//p[@class='message-meta']/time")]
    assert times == ["5 Jan 2026, 09:05 UTC", "5 Jan 2026, 09:00 UTC"]
    assert nav_label(doc) == "Messages (2 new)"
    assert one(doc, "//nav[@aria-label='Main']//a[@aria-current='page']").get("href") == "/messages"


def test_mark_as_read(app, client, clock, people):
    send(app, "dave", "First")
    send(app, "dave", "Second")
    dave = signed_in(client, "dave")
    page = dave.get("/messages")
    form = one(html(page), "//li[.//h2[contains(., 'First')]]//form")
    clock.advance(minutes=3)
    response = dave.post(form.get("action"), data={"csrf_token": csrf_token(page.data), "page": "1"})
    first_id = message_ids(app, "dave")[0]
    assert response.status_code == 303 and response.headers["Location"] == f"/messages#message-{first_id}"

    doc = html(dave.get("/messages"))
    assert [(m["subject"], m["new"], m["button"]) for m in shown(doc)] == \
        [("New Second", True, True), ("First", False, False)]
    assert one(doc, "//li[@id='message-%d']//p[@class='message-read']" % first_id).text_content().split() == \
        ["Read", "5", "Jan", "2026,", "09:03", "UTC"]
    assert nav_label(doc) == "Messages (1 new)"
    assert "2 messages, 1 unread" in one(doc, "//p[@class='lead']").text


def test_someone_elses_message_is_forbidden_and_an_unknown_one_not_found(app, client, people):
    send(app, "erin", "For Erin")
    [erins] = message_ids(app, "erin")
    dave = signed_in(client, "dave")
    token = csrf_token(dave.get("/messages").data)
    refused = dave.post(f"/messages/{erins}/read", data={"csrf_token": token})
    assert refused.status_code == 403 and "You can’t open this page" in refused.get_data(as_text=True)
    for path in (f"/messages/{erins + 1}/read", "/messages/0/read", f"/messages/{2**31}/read",
                 "/messages/abc/read"):
        assert dave.post(path, data={"csrf_token": token}).status_code == 404, path
    assert dave.get(f"/messages/{erins}/read").status_code == 405
    erin = signed_in(client, "erin")
    assert shown(html(erin.get("/messages")))[0]["new"] is True              # still unread


def test_the_empty_state_and_the_nav_entry_for_everyone(app, client, people):
    for name in ("dave", "fiona", "adam"):
        doc = html(signed_in(client, name).get("/messages"))
        assert nav_label(doc) == "Messages"
        assert one(doc, "//h2[@id='empty-title']").text == "No messages yet"
        assert doc.xpath("//ol[@class='message-list']") == []
    inbox = html(signed_in(client, "dave").get("/inbox"))
    labels = [" ".join(a.text_content().split()) for a in inbox.xpath("//nav[@aria-label='Main']//a")]
    assert labels.index("Messages") == labels.index("My requests") + 1


def test_pages_of_fifty_and_back_to_the_same_page_after_marking(app, client, clock, people):
    for n in range(51):
        clock.advance(seconds=1)
        send(app, "dave", f"Message {n}")
    dave = signed_in(client, "dave")
    first = html(dave.get("/messages"))
    assert len(shown(first)) == 50 and shown(first)[0]["subject"] == "New Message 50"
    assert one(first, "//a[@rel='next']").get("href") == "/messages?page=2"
    page_two = dave.get("/messages?page=2")
    [oldest] = shown(html(page_two))
    assert oldest["subject"] == "New Message 0"
    assert one(html(page_two), "//a[@rel='prev']").get("href") == "/messages"
    form = one(html(page_two), "//ol[@class='message-list']//form")
    done = dave.post(form.get("action"), data={"csrf_token": csrf_token(page_two.data), "page": "2"})
    assert done.headers["Location"] == f"/messages?page=2#message-{message_ids(app, 'dave')[0]}"


@pytest.mark.parametrize("page", ["abc", "-1", "0", "1.5", "99999999999999999999", "٣"])
def test_odd_page_numbers_are_no_error(app, client, people, page):
    send(app, "dave", "Hello")
    response = signed_in(client, "dave").get(f"/messages?page={page}")
    assert response.status_code == 200
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_page_past_the_end_says_so(app, client, people):
    send(app, "dave", "Hello")
    doc = html(signed_in(client, "dave").get("/messages?page=3"))
    assert one(doc, "//h2[@id='empty-title']").text == "There is no page 3"
    assert one(doc, "//a[@rel='prev']").get("href") == "/messages"
