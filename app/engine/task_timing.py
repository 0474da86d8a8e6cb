"""When a human task is due and how urgent it is, as the diagram says.

Written on the task as Camunda does (``camunda:dueDate``, ``camunda:priority``)
or as spiff extension properties named ``dueDate`` and ``priority``. A due
date is an ISO 8601 duration counted from when the task opens (``P2D``,
``PT4H``), or a date or date-time (``2026-12-24``, ``2026-12-24T17:00:00Z``).
A priority is a whole number from 0 to 100; higher is more urgent. Either
may be a ``${...}`` expression over the task's data whose value has one of
those forms; expressions are checked when the task opens, literals at deploy.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

PRIORITY_RANGE = (0, 100)
DEFAULT_PRIORITY = 50


def is_expression(value: str) -> bool:
    return "${" in value


def due_at(value, opened_at: datetime) -> datetime:
    """The moment a task opened at ``opened_at`` is due; ValueError when ``value``
    is neither a duration nor a date."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return _end_of_day(value)
    text = str(value).strip()
    if text[:1].upper() == "P":
        try:
            parsed = TimerEventDefinition.parse_iso_duration(text)
        except Exception:   # noqa: BLE001 - the library's own parse errors vary
            parsed = None
        if not parsed:
            raise ValueError(f"'{text}' is not an ISO 8601 duration (e.g. P2D, PT4H, P1DT12H)")
        return opened_at + TimerEventDefinition.get_timedelta_from_start(parsed, opened_at)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{text}' is neither a duration (e.g. P2D) nor a date (e.g. 2026-12-24)") from None
    if len(text) == 10:   # a date alone: due by the end of that day
        return _end_of_day(moment.date())
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def priority(value) -> int:
    """A priority as a number in PRIORITY_RANGE; ValueError otherwise."""
    low, high = PRIORITY_RANGE
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise ValueError(f"priority '{value}' must be a whole number from {low} to {high}")
    return number


def check(due: str | None, urgency: str | None) -> list[str]:
    """What is wrong with a task's literal due date and priority (expressions wait for run time)."""
    problems = []
    probe = datetime(2000, 1, 1, tzinfo=timezone.utc)
    for value, read in ((due, lambda v: due_at(v, probe)), (urgency, priority)):
        if value and not is_expression(value):
            try:
                read(value)
            except ValueError as exc:
                problems.append(str(exc))
    return problems


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), timezone.utc)
