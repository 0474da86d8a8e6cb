"""The case history as people read it (app/web/pages/history.py)."""
from __future__ import annotations

from datetime import datetime, timezone

from app.models import AuditEvent
from app.web.pages.history import tell

AT = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def event(kind: str, element: str | None = None, actor: str | None = None, **data) -> AuditEvent:
    return AuditEvent(type=kind, element=element, actor=actor, at=AT, data=data)


def test_automated_steps_are_told_once_in_plain_words():
    events = [
        event("step_completed", "fetch", name="Fetch the asset", type="serviceTask"),
        event("service_call_succeeded", "fetch", hook="http", attempt=1),
        event("service_call_failed", "notify", hook="notify", attempt=1, message="the mail server is down"),
        event("step_completed", "wait-for-change", name="Wait for the change outcome", type="receiveTask"),
        event("message_received", "wait-for-change", name="change_closed"),
        event("message_undelivered", "problem_reported", name="problem_reported", attempts=3),
        event("task_priority_raised", "resolve", **{"from": 50, "to": 90}),
        event("incident_retried", "notify", actor="adam", message="the mail server is down"),
    ]
    told = tell(events, {"notify": "Tell the requester", "resolve": "Resolve the incident"}, {"adam": "Adam Admin"})
    assert [(e.text, e.tone, e.detail) for e in told] == [
        ("Fetch the asset finished", "step", ""),
        ("Tell the requester did not work", "problem", "the mail server is down"),
        ("Wait for the change outcome finished", "step", ""),
        ("Wait for the change outcome: the message came", "step", ""),
        ("Nothing received the message problem_reported", "problem", ""),
        ("Resolve the incident was made more urgent", "step", ""),
        ("Adam Admin retried Tell the requester", "step", ""),
    ]


def test_a_multi_instance_step_names_each_item_then_says_how_many():
    events = [
        event("step_completed", "revoke", name="Revoke one access", type="serviceTask", item="system: email"),
        event("step_completed", "revoke", name="Revoke one access", type="serviceTask", item="system: {vpn}"),
        event("step_completed", "revoke", name="Revoke one access", type="serviceTask", instances=2),
        event("step_completed", "write", name="Write the register", type="scriptTask", instances=0),
        event("step_completed", "tell", name="Tell the holder", type="sendTask", instances=1),
    ]
    assert [e.text for e in tell(events, {}, {})] == [
        "Revoke one access finished for system: email",
        "Revoke one access finished for system: {vpn}",     # braces in data are text, not a placeholder
        "Revoke one access finished for all 2 items",
        "Write the register had nothing to do",
        "Tell the holder finished for its one item",
    ]


def test_a_persons_share_of_a_multi_instance_step_says_which_item_it_was():
    events = [
        event("task_completed", "recover", actor="ada", task_id=7, data={"condition": "good"}),
        event("step_completed", "recover", name="Take back the asset", type="userTask", item="tag: LAP-0003"),
        event("task_completed", "approve", actor="mona", task_id=8, data={}),
        event("step_completed", "approve", name="Approve", type="userTask"),
    ]
    assert [e.text for e in tell(events, {"recover": "Take back the asset", "approve": "Approve"},
                                 {"ada": "Ada Mensah"})] == [
        "Ada Mensah completed Take back the asset for tag: LAP-0003", "mona completed Approve"]
