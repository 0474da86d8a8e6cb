"""The admin page: open incidents, and retrying them from the browser."""
from __future__ import annotations

import lxml.html

from app.services import users
from tests.support.cases import make_people_and_processes, signed_in, start_failing_calculation
from tests.support.pages import csrf_token, sign_in


def _rows(response):
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    return doc.xpath("//table[contains(@class, 'incidents-table')]//tbody/tr")


def test_admins_see_incidents_and_retry_them(app, client):
    make_people_and_processes(app)
    instance_id = start_failing_calculation(app)
    with app.app_context():
        users.add_user("root", role="admin", password="secret-root")
    admin = client.application.test_client()
    assert sign_in(admin, "root", "secret-root").status_code == 302

    page = admin.get("/admin")
    [row] = _rows(page)
    text = row.text_content()
    assert f"#{instance_id}" in text and "compute" in text and "line 2" in text and "amount" in text
    retry_form = row.xpath(".//form")[0]
    done = admin.post(retry_form.get("action"), data={"csrf_token": csrf_token(page.data)})
    assert done.status_code == 303 and done.headers["Location"] == "/admin"
    after = admin.get("/admin")
    assert "failed again at the same step" in after.get_data(as_text=True)   # nothing was fixed
    assert len(_rows(after)) == 1


def test_others_read_only_what_they_may(app, client):
    make_people_and_processes(app)
    start_failing_calculation(app, starter="dave")
    starter = signed_in(client, "dave")
    page = starter.get("/admin")
    assert len(_rows(page)) == 1 and not _rows(page)[0].xpath(".//form")   # their own case, no retry
    token = csrf_token(page.data)
    assert starter.post("/admin/incidents/1/retry", data={"csrf_token": token}).status_code == 403
    stranger = signed_in(client, "ivan")
    assert _rows(stranger.get("/admin")) == []
    assert client.application.test_client().get("/admin").status_code == 302
