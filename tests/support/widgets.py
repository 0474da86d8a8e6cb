"""The widget check (tests/web/data/widgets): a process whose first task's form
has every widget the task page draws, for the page tests and browser tests."""
from __future__ import annotations

from pathlib import Path

import lxml.html

from app.models import HumanTask, db
from app.services import deployments, instances, users
from tests.support.pages import csrf_token, sign_in

WIDGETS = Path(__file__).resolve().parents[1] / "web" / "data" / "widgets"
PASSWORD = "secret"
PEOPLE = {   # name: (groups, role, display name)
    "olga": ([], "owner", "Olga Owner"),
    "alice": (["agents"], None, "Alice Agent"),
    "bob": (["agents"], None, "Bob Builder"),
    "ivan": (["it"], None, "Ivan IT"),
    "dave": ([], None, "Dave Daniels"),
    "audrey": ([], "auditor", "Audrey Auditor"),
}
START_DATA = {"requester": "Dave Daniels", "ticket_ref": "INC-42", "tags": ["vpn", "laptop"]}
# A correct answer to the first task's form, as a browser posts it.
GOOD_POST = {
    "summary": "Set up a VPN", "details": "Line one\nLine two", "quantity": "2", "budget": "99.5",
    "priority": "high", "channel": "phone", "urgent": "true", "approved": "true", "needed_by": "2026-02-01",
    "contact": "dave@example.com", "tags": "vpn\nremote", "platforms": ["mac", "linux"],
    "website": "https://example.com/vpn",
}


def start_widget_check(app, business_key: str = "WID-1", data: dict | None = None) -> dict:
    """Makes PEOPLE (password PASSWORD), deploys the widget check as Olga and starts it
    as Dave; returns {"instance_id", "task_id"} of the agents' first task."""
    with app.app_context():
        for name, (groups, role, display) in PEOPLE.items():
            users.add_user(name, groups=groups, role=role, password=PASSWORD, display_name=display)
        deployments.deploy({p.name: p.read_bytes() for p in WIDGETS.iterdir()}, users.get_user("olga"))
        instance = instances.start_instance("widgets", users.get_user("dave"), business_key=business_key,
                                            data=START_DATA if data is None else data)
        found = {"instance_id": instance.id, "task_id": instance.open_tasks[0].id}
        db.session.remove()
    return found


def signed_in(client, name: str):
    """The test client, signed in as one of PEOPLE."""
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def post_task(client, task_id: str, data: dict):
    """Posts ``data`` to the task page, with the CSRF token of the page as shown."""
    token = csrf_token(client.get(f"/tasks/{task_id}").data)
    return client.post(f"/tasks/{task_id}", data={**data, "csrf_token": token})


def task_row(app, task_id: str) -> HumanTask:
    """The task's index row as it is now."""
    with app.app_context():
        row = db.session.get(HumanTask, task_id)
        db.session.expunge_all()
        return row


def html(response):
    """A test-client response's page, parsed."""
    return lxml.html.fromstring(response.get_data(as_text=True))


def one(doc, xpath: str):
    """The one element ``xpath`` finds; fails when it finds none or several."""
    found = doc.xpath(xpath)
    assert len(found) == 1, f"{xpath}: {len(found)} found"
    return found[0]


def textarea(doc, name: str) -> str:
    """A textarea's value as a browser reads it: HTML drops one newline right after
    the opening tag (lxml's parser keeps it)."""
    return one(doc, f".//textarea[@name='{name}']").text.removeprefix("\n")
