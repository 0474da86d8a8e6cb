"""Claiming and releasing a task from its page, and the case's diagram that
the task page (and the instance page) load."""
from __future__ import annotations

from tests.support.pages import csrf_token
from tests.support.widgets import GOOD_POST, html, one, post_task, signed_in, task_row


def test_claiming_and_releasing(client, widget_case, app):
    path = f"/tasks/{widget_case['task_id']}"
    signed_in(client, "alice")
    doc = html(client.get(path))
    assert one(doc, "//p[@class='task-meta']/span").text == "Unclaimed · agents"
    claimed = client.post(f"{path}/claim", data={"csrf_token": csrf_token(client.get(path).data)})
    assert claimed.status_code == 303 and claimed.headers["Location"] == path
    doc = html(client.get(path))
    assert "You claimed 'Describe the work'" in one(doc, "//div[@class='flashes']").text_content()
    assert one(doc, "//p[@class='task-meta']/span").text == "Assigned to you"
    assert one(doc, "//div[@class='actions']//button").text == "Release"
    assert task_row(app, widget_case["task_id"]).assignee == "alice"

    bob = app.test_client()
    doc = html(signed_in(bob, "bob").get(path))
    assert "Alice Agent has claimed this task" in doc.text_content()
    assert not doc.xpath("//form[@class='task-form']") and not doc.xpath("//div[@class='actions']")
    assert post_task(bob, widget_case["task_id"], GOOD_POST).status_code == 403
    assert bob.post(f"{path}/unclaim", data={"csrf_token": csrf_token(bob.get(path).data)}).status_code == 403

    released = client.post(f"{path}/unclaim", data={"csrf_token": csrf_token(client.get(path).data)})
    assert released.status_code == 303
    assert task_row(app, widget_case["task_id"]).assignee is None
    assert "You released" in client.get(path).get_data(as_text=True)


def test_the_diagram_of_the_case(client, widget_case, app):
    path = f"/instances/{widget_case['instance_id']}/diagram.bpmn"
    assert client.get(path).status_code == 302
    response = signed_in(client, "alice").get(path)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert b'<bpmn:userTask id="describe"' in response.data
    assert response.headers["Cache-Control"] == "private, no-cache"
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/instances/999/diagram.bpmn").status_code == 404
    other = app.test_client()
    assert signed_in(other, "ivan").get(path).status_code == 403


def test_a_post_from_someone_who_may_not_complete_gets_no_form_back(client, widget_case, app):
    signed_in(client, "audrey")
    response = post_task(client, widget_case["task_id"], {"quantity": "lots"})
    assert response.status_code == 403 and "You can’t open this page" in response.get_data(as_text=True)
    assert task_row(app, widget_case["task_id"]).state == "open"
