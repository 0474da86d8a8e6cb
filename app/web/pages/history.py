"""A case's audit trail told in sentences: "Ann Smith completed Triage request".

The trail records every engine step; people need fewer lines. A user task
is told by its task events (opened, claimed, completed), so its engine step
is left out, as are start events (the case's start says it) and gateways
(bookkeeping). Event types this module does not know yet are still told,
by their name ("timer fired"), so new kinds of events never vanish.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from app.models import AuditEvent

# Steps whose engine events say nothing a person needs.
_QUIET_STEPS = {"userTask", "manualTask", "startEvent", "exclusiveGateway", "inclusiveGateway",
                "parallelGateway", "eventBasedGateway"}

# type -> (sentence, tone); {who} is the actor, {what} the element's name.
_SENTENCES = {
    "instance_started": ("{who} started the case", "start"),
    "instance_completed": ("The case is complete", "done"),
    "instance_suspended": ("{who} suspended the case", "problem"),
    "instance_resumed": ("{who} resumed the case", "step"),
    "instance_terminated": ("{who} ended the case", "problem"),
    "task_opened": ("Task opened: {what}", "open"),
    "task_claimed": ("{who} claimed {what}", "step"),
    "task_unclaimed": ("{who} released {what}", "step"),
    "task_completed": ("{who} completed {what}", "done"),
    "task_cancelled": ("{what} was withdrawn", "step"),
    "incident_opened": ("{what} failed", "problem"),
    "incident_retried": ("{who} retried {what}", "step"),
    "step_completed": ("{what} finished", "step"),
    "service_call_failed": ("{what} did not work", "problem"),
    "service_call_escalated": ("{what} escalated", "problem"),
    "service_call_error": ("{what} ended on its error path", "step"),
    "message_received": ("{what}: the message came", "step"),
    "message_undelivered": ("Nothing received the message {what}", "problem"),
    "task_priority_raised": ("{what} was made more urgent", "step"),
}
# Told by another event: a service call that worked is its step's "finished".
_UNTOLD = {"service_call_succeeded"}
_REACHED = {"endEvent": "Reached {what}", "intermediateCatchEvent": "{what}", "boundaryEvent": "{what}",
            "intermediateThrowEvent": "{what}"}


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    text: str
    tone: str            # start, open, step, done, problem: how the timeline marks it
    detail: str = ""     # a second line, e.g. an incident's message


def step_names(events: list[AuditEvent], known: dict[str, str]) -> dict[str, str]:
    """``known`` (BPMN ids to names) with the names the step events carry. Only
    step events: a "message received" event names its message, not the step."""
    names = dict(known)
    for event in events:
        if event.type.startswith("step_") and event.element and (event.data or {}).get("name"):
            names.setdefault(event.element, event.data["name"])
    return names


def tell(events: list[AuditEvent], names: dict[str, str], people: dict[str, str]) -> list[HistoryEntry]:
    """The events worth telling, oldest first. ``names`` maps BPMN ids to element
    names (steps' events carry theirs, and fill it further); ``people`` maps
    user names to display names."""
    names = step_names(events, names)
    told, previous = [], None
    for event in events:
        entry = _tell(event, names, people)
        if entry is not None:
            told.append(entry)
        elif _item_of_the_task_just_completed(event, previous):
            # One person's share of a multi-instance step: their "completed" says which item.
            told[-1] = replace(told[-1], text=f"{told[-1].text} for {event.data['item']}")
        previous = event if entry is not None else None
    return told


def _item_of_the_task_just_completed(event: AuditEvent, previous: AuditEvent | None) -> bool:
    return (previous is not None and previous.type == "task_completed" and event.type == "step_completed"
            and event.element == previous.element and bool((event.data or {}).get("item")))


def _tell(event: AuditEvent, names: dict[str, str], people: dict[str, str]) -> HistoryEntry | None:
    data = event.data or {}
    if event.type in _UNTOLD:
        return None
    if event.type.startswith("step_"):
        if event.type != "step_completed" or data.get("type") in _QUIET_STEPS:
            return None   # cancelled and failed steps are told by their task or incident events
    who = people.get(event.actor or "", event.actor or "Baton")
    what = names.get(event.element or "", event.element or "a step")
    sentence, tone = _SENTENCES.get(event.type, (None, "step"))
    if event.type == "step_completed" and data.get("type") in _REACHED:
        sentence = _REACHED[data["type"]]
    elif event.type == "step_completed" and data.get("item"):
        sentence = "{what} finished for " + data["item"].replace("{", "{{").replace("}", "}}")
    elif event.type == "step_completed" and data.get("instances") is not None:
        sentence = _all_instances(data["instances"])
    elif event.type == "instance_migrated":
        sentence = _moved(data)
    if sentence is None:   # a kind of event added after this module: say its name
        sentence = event.type.replace("_", " ").capitalize() + (": {what}" if event.element else "")
    detail = str(data.get("message") or data.get("reason") or "") if tone == "problem" else ""
    return HistoryEntry(at=event.at, text=sentence.format(who=who, what=what), tone=tone, detail=detail)


def _moved(data: dict) -> str:
    versions = [str(data.get(k)).replace("{", "{{").replace("}", "}}") for k in ("from_version", "to_version")]
    return "{who} moved the case from version %s to version %s" % tuple(versions)


def _all_instances(count) -> str:
    if count == 0:
        return "{what} had nothing to do"
    return "{what} finished for its one item" if count == 1 else f"{{what}} finished for all {count} items"


def actors(events: list[AuditEvent]) -> set[str]:
    """The user names the events mention, for one display-name lookup."""
    return {e.actor for e in events if e.actor}
