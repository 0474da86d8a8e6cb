"""What the instance page and "My requests" say about a case, in words: its
data as rows people can read, who an open task waits for, how far it has come.

Plain functions over what the services return; the templates only lay the
results out.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.models import HumanTask, Instance
from app.services.case_progress import Progress

# Longer values are cut: a page is for reading, the API gives the whole value.
TEXT_SHOWN = 400
JSON_SHOWN = 240
KEYS_SHOWN = 200


@dataclass(frozen=True)
class DataRow:
    key: str
    text: str
    kind: str            # text, number, yes-no, empty, json: how the page sets it
    cut: int = 0         # characters left out


def data_rows(data: Any) -> tuple[list[DataRow], int]:
    """The top-level keys of a case's data, in alphabetical order (the stored
    order differs between databases), and how many keys are left out."""
    if not isinstance(data, dict):
        return ([_row("value", data)] if data not in (None, {}) else []), 0
    keys = sorted(data, key=lambda k: (str(k).casefold(), str(k)))
    return [_row(str(key), data[key]) for key in keys[:KEYS_SHOWN]], max(len(keys) - KEYS_SHOWN, 0)


def _row(key: str, value: Any) -> DataRow:
    if value is None or value == "":
        return DataRow(key, "empty", "empty")
    if isinstance(value, bool):
        return DataRow(key, "Yes" if value else "No", "yes-no")
    if isinstance(value, (int, float)):
        return DataRow(key, str(value), "number")
    if isinstance(value, str):
        return _cut(key, value, TEXT_SHOWN, "text")
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    return _cut(key, text, JSON_SHOWN, "json")


def _cut(key: str, text: str, limit: int, kind: str) -> DataRow:
    if len(text) <= limit:
        return DataRow(key, text, kind)
    # Cut at a space near the limit when there is one, so no word is broken.
    shown = text[:limit]
    space = shown.rfind(" ", limit - 40)
    shown = shown[:space] if space > 0 else shown
    return DataRow(key, shown.rstrip() + "…", kind, cut=len(text) - len(shown))


def waits_for(task: HumanTask, people: dict[str, str]) -> str:
    """Who holds an open task, or who may pick it up: "Alice Agent",
    "Unclaimed — for group agents", "Unclaimed — for Bob Builder"."""
    if task.assignee:
        return people.get(task.assignee, task.assignee)
    groups = list(task.candidate_groups or [])
    users = [people.get(u, u) for u in task.candidate_users or []]
    parts = []
    if groups:
        parts.append(("group " if len(groups) == 1 else "groups ") + ", ".join(groups))
    if users:
        parts.append(", ".join(users))
    return "Unclaimed — for " + " or ".join(parts) if parts else "Unclaimed"


def people_named_in(tasks: list[HumanTask]) -> set[str]:
    """The user names ``waits_for`` shows, for one display-name lookup."""
    return {name for t in tasks for name in (t.assignee, *(t.candidate_users or [])) if name}


def steps_done(progress: Progress) -> str:
    count = progress.steps_done
    return "No steps done yet" if count == 0 else f"{count} step{'' if count == 1 else 's'} done"


def where_it_stands(instance: Instance, progress: Progress, people: dict[str, str]) -> list[str]:
    """A line or two on what the case waits for now."""
    if instance.status == "completed":
        return ["Complete"]
    if instance.status == "terminated":
        return ["Ended before it was complete"]
    lines = [f"Failed at {name}" for name in progress.failed_at]
    lines += [f"{task.name}: {waits_for(task, people)}" for task in progress.waiting_on]
    if instance.status == "suspended":
        lines.insert(0, "On hold")
    elif not lines:
        lines.append("In progress; nothing waits for a person")
    return lines
