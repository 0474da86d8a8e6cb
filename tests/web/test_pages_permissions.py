"""Who may open which page, in one table: every page of the browser side,
for someone signed out, a stranger to the case, the people of the case, an
auditor and an admin. The pages' own test modules go into the details."""
from __future__ import annotations

import pytest

from app.services import users
from tests.support.pages import csrf_token, sign_in
from tests.support.widgets import GOOD_POST, post_task, signed_in

# page -> expected status for: signed out, ivan (another group), dave (started the case),
# alice (the task's group), audrey (auditor), admin
PAGES = {
    "/catalogue":                    (302, 200, 200, 200, 200, 200),
    "/catalogue/widgets":            (302, 200, 200, 200, 200, 200),
    "/inbox":                        (302, 200, 200, 200, 200, 200),
    "/requests":                     (302, 200, 200, 200, 200, 200),
    "/admin":                        (302, 200, 200, 200, 200, 200),
    "/messages":                     (302, 200, 200, 200, 200, 200),   # each sees the incidents they may
    "/tasks/{task}":                 (302, 403, 200, 200, 200, 200),
    "/instances/{case}":             (302, 403, 200, 200, 200, 200),
    "/instances/{case}/diagram.bpmn": (302, 403, 200, 200, 200, 200),
    "/tasks/no-such-task":           (302, 404, 404, 404, 404, 404),
    "/instances/999999":             (302, 404, 404, 404, 404, 404),
    "/instances/99999999999":        (302, 404, 404, 404, 404, 404),   # past the 32-bit id column
    "/catalogue/no-such-service":    (302, 404, 404, 404, 404, 404),
}
WHO = (None, "ivan", "dave", "alice", "audrey", "admin")


@pytest.mark.parametrize("path", PAGES)
def test_who_may_open_each_page(app, client, widget_case, path):
    with app.app_context():
        users.add_user("admin", role="admin", password="secret-admin")
    url = path.format(task=widget_case["task_id"], case=widget_case["instance_id"])
    for who, expected in zip(WHO, PAGES[path]):
        client.post("/logout", data={"csrf_token": ""})   # whatever happened before
        client.delete_cookie("baton_session")
        if who == "admin":
            assert sign_in(client, "admin", "secret-admin").status_code == 302
        elif who is not None:
            signed_in(client, who)
        response = client.get(url)
        assert response.status_code == expected, (who, url, response.status_code)
        if expected == 302:
            assert response.headers["Location"].startswith("/login?next=")
        elif expected in (403, 404):
            body = response.get_data(as_text=True)
            assert response.mimetype == "text/html" and "Traceback" not in body
            assert "You can’t open this page" in body if expected == 403 else "not found" in body.lower()


@pytest.mark.parametrize("who, expected", [("ivan", 403), ("audrey", 403), ("alice", 303)])
def test_who_may_post_the_task_form(client, widget_case, who, expected):
    signed_in(client, who)
    # Ivan and Audrey are shown no form to post; they post anyway, with a valid token from another page.
    if who == "alice":
        response = post_task(client, widget_case["task_id"], GOOD_POST)
    else:
        token = csrf_token(client.get("/inbox").data)
        response = client.post(f"/tasks/{widget_case['task_id']}", data={**GOOD_POST, "csrf_token": token})
    assert response.status_code == expected
