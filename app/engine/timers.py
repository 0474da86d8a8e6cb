"""Timer events that read "now" from Baton's clock.

SpiffWorkflow's timer event definitions call ``datetime.now(timezone.utc)``
whenever they compute or check a due time, so a test cannot move time and the
host cannot decide what "now" is. The subclasses here change only that: the
clock is the ``clock`` attribute of the workflow's script engine
(``SandboxedScriptEngine(clock=...)``), the system clock when the engine has
none. Everything else (the internal data they keep, ``details()``, the
isinstance checks the library makes on timer classes) stays the library's, so
the state they write is the state the library would write.

They also accept a timer written bare, as Camunda Modeler writes it
(``PT5M``, ``R3/PT1H``, ``2026-12-24T09:00:00Z``). Baton's sandbox already
quotes such text before evaluating it (expressions.translate); the fallback
here covers any other script engine: when the expression fails to evaluate,
or evaluates to something that is not a timer value (``2026-12-24`` is the
number 1990 in Python), and the text itself parses as the timer's kind of
ISO 8601 value, the text is the value.

Parsers build these classes (parser.py) and the serializer restores stored
timer definitions as these classes (serializer.py), so a process deployed
before this module existed gets the clock too.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition, DurationTimerEventDefinition, TimeDateEventDefinition,
    TimerEventDefinition,
)

from app.clock import SystemClock

_SYSTEM_CLOCK = SystemClock()
_ANY_TIME = datetime(2000, 1, 1, tzinfo=timezone.utc)   # to check that a cycle parses, not to schedule it


def now_for(my_task) -> datetime:
    return workflow_now(my_task.workflow)


def workflow_now(workflow) -> datetime:
    """"Now" by the clock of a workflow's script engine (the system clock without one)."""
    now = (getattr(workflow.script_engine, "clock", None) or _SYSTEM_CLOCK).now()
    # A naive "now" would not compare with the library's aware due times.
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


def evaluate_timer(my_task, expression: str, accepts: tuple[type, ...], parses) -> object:
    """The value of a timer expression, or the expression itself when it is a
    bare ISO 8601 value that does not evaluate (see the module docstring)."""
    text = (expression or "").strip()
    try:
        value = my_task.workflow.script_engine.evaluate(my_task, expression)
    except Exception:
        if _parses(parses, text):
            return text
        raise
    if not isinstance(value, accepts) and _parses(parses, text):
        return text
    return value


def _parses(parse, text: str) -> bool:
    if not any(ch.isdigit() for ch in text):
        return False       # the library reads "P" (a name, say) as an empty duration
    try:
        parse(text)
    except Exception:   # noqa: BLE001 - the library raises bare Exception for bad durations
        return False
    return True


def as_utc(value) -> datetime:
    """A date timer's value (ISO text, datetime or date) as an aware UTC datetime."""
    if isinstance(value, datetime):
        value = value.isoformat()
    elif isinstance(value, date):
        value = datetime.combine(value, datetime.min.time()).isoformat()
    # The library's reading: naive times are local; week dates (2026-W52-4) allowed.
    return TimerEventDefinition.parse_time_or_duration(str(value))


def duration_from(value, start: datetime) -> timedelta:
    if isinstance(value, timedelta):
        return value
    # Months and years are counted in calendar days from `start`, as the library does.
    return TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(str(value)), start)


def parse_cycle(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """``(repetitions, first due time, interval)`` of an ISO 8601 recurring
    interval; ``repetitions`` is -1 for ``R/...`` (no end).

    The library's parser is used as is, except for the form with a duration
    only (``R2/PT1H``), where it reads the system clock to start from."""
    parts = expression.upper().replace("--", "/").strip("R").split("/")
    if len(parts) == 2 and parts[1].startswith("P"):
        cycles = int(parts[0]) if parts[0] else -1
        interval = duration_from(parts[1], now)
        return cycles, now + interval, interval
    return TimerEventDefinition.parse_iso_recurring_interval(expression)


def check_cycle(text: str) -> tuple[int, datetime, timedelta]:
    """Parse a cycle only to see that it parses (raises if not)."""
    return parse_cycle(text, _ANY_TIME)


class ClockedTimeDateEventDefinition(TimeDateEventDefinition):
    """A timer due at a date and time (``timeDate``)."""

    def has_fired(self, my_task):
        due = my_task._get_internal_data("event_value")
        if due is None:
            value = evaluate_timer(my_task, self.expression, (str, datetime, date),
                              TimerEventDefinition.parse_time_or_duration)
            # Stored as UTC ISO text (the library keeps the raw value), so that
            # details().value is always a plain timestamp.
            due = as_utc(value).isoformat()
            my_task._set_internal_data(event_value=due)
        if as_utc(due) <= now_for(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockedDurationTimerEventDefinition(DurationTimerEventDefinition):
    """A timer due a duration after the event is reached (``timeDuration``)."""

    def has_fired(self, my_task):
        due = my_task._get_internal_data("event_value")
        if due is None:
            value = evaluate_timer(my_task, self.expression, (str, timedelta),
                              TimerEventDefinition.parse_iso_duration)
            now = now_for(my_task)
            due = (now + duration_from(value, now)).isoformat()
            my_task._set_internal_data(event_value=due)
        if TimerEventDefinition.get_datetime(due) <= now_for(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockedCycleTimerEventDefinition(CycleTimerEventDefinition):
    """A timer that fires repeatedly (``timeCycle``); the library uses it on
    non-interrupting boundary events, each firing opening the path once."""

    def cycle_complete(self, my_task):
        # The library's bookkeeping, with the clock: event_value holds the
        # repetitions left, the next due time and the interval in seconds;
        # after the last repetition the event itself fires (event_fired).
        state = my_task._get_internal_data("event_value")
        if state is None:
            value = evaluate_timer(my_task, self.expression, (str,), check_cycle)
            cycles, first, interval = parse_cycle(str(value), now_for(my_task))
            state = {"cycles": cycles, "next": first.isoformat(), "duration": interval.total_seconds()}

        ready = False
        if state["cycles"] != 0:
            due = datetime.fromisoformat(state["next"])
            if due <= now_for(my_task):
                state["next"] = (due + timedelta(seconds=state["duration"])).isoformat()
                state["cycles"] -= 1
                ready = True
                # Changed from the library, which marks the event fired one
                # refresh later: with timers fired by jobs, that would cost
                # an extra job (the event then completes at the next refresh).
                if state["cycles"] == 0:
                    my_task.internal_data["event_fired"] = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True

        my_task._set_internal_data(event_value=state)
        return ready


# Library class → Baton's, for the parsers and the serializer.
CLOCKED_TIMERS: dict[type, type] = {
    TimeDateEventDefinition: ClockedTimeDateEventDefinition,
    DurationTimerEventDefinition: ClockedDurationTimerEventDefinition,
    CycleTimerEventDefinition: ClockedCycleTimerEventDefinition,
}


def clocked(definition):
    """The clocked equivalent of a timer event definition the library's parser built."""
    clocked_class = CLOCKED_TIMERS.get(type(definition))
    if clocked_class is None:
        return definition
    return clocked_class(definition.name, definition.expression, description=definition.description)


def due_time(value) -> datetime | None:
    """A waiting timer's due time from its ``PendingBpmnEvent.value``: ISO text
    for date and duration timers and for a cycle with repetitions left; a dict
    (or None) otherwise."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        return TimerEventDefinition.get_datetime(value)
    except ValueError:
        return None
