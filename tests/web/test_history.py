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
