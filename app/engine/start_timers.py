"""Timer start events: processes that start on a schedule, as Camunda 7 runs them.

Each firing of a process's (top-level) timer start event starts a NEW
instance; the job worker does it (app/services/schedules.py), from one job
row per start event. SpiffWorkflow would instead make one instance wait at
the start event and, for a cycle, run the path once per repetition inside it.
This module holds the engine's side:

- ``start_timers(spec)``: the process's timer start events;
- ``first_schedule``: when one first starts an instance, reckoned from the
  deployment: a date at that date (one already past: at the worker's next
  round), a duration that long after deployment, a cycle
  ``R[n]/[start/]interval`` at its start or one interval after deployment,
  then every interval, n times or with no end (``R/...``);
- ``Schedule.after_firing``: what is left once a start has run. A cycle's
  starts stay on their grid (first, first + interval, ...). Grid times that
  passed while no worker ran are not made up for, each counting as one of
  the n (Camunda's reading too): an overdue job starts one instance, not a
  burst of them. A cycle deployed after its start date begins at the next
  grid time for the same reason;
- ``problems(spec)``: why a start timer cannot be scheduled, for the deploy
  check: an expression that does not evaluate without instance data, a
  value of the wrong kind, a cron expression (``0 0 9 * * ?``: Camunda's
  other cycle syntax, not supported);
- ``mark_fired(task)``: in a workflow about to start, that start event
  passes at once (start_events.choose runs it and cancels the other start
  events).

Expressions are read as the timer events read them (timers.py: Python as
SpiffArena writes it, or bare ISO 8601 text as Camunda Modeler writes it),
against the start event of a fresh workflow, which holds no data.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition, DurationTimerEventDefinition, TimeDateEventDefinition, TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

from app.engine.sandbox import SandboxedScriptEngine
from app.engine.timers import as_utc, check_cycle, duration_from, evaluate_timer, parse_cycle

NO_END = -1                     # starts_left of an ``R/...`` cycle

_KINDS = {TimeDateEventDefinition: "date", DurationTimerEventDefinition: "duration",
          CycleTimerEventDefinition: "cycle"}
_ELEMENTS = {"date": "timeDate", "duration": "timeDuration", "cycle": "timeCycle"}   # as the diagram says
_VALUES = {"date": "date and time", "duration": "duration", "cycle": "repeating interval (R[n]/[start/]duration)"}
# What each kind's expression may evaluate to, and how its bare text parses:
# the readings of the clocked timer events (timers.py).
_READINGS = {
    "date": ((str, datetime, date), TimerEventDefinition.parse_time_or_duration),
    "duration": ((str, timedelta), TimerEventDefinition.parse_iso_duration),
    "cycle": ((str,), check_cycle),
}
# Quartz cron as Camunda takes it: 6 or 7 fields (seconds first) of digits, * ? / , - L W # and names.
_CRON_FIELD = re.compile(r"[0-9*?/,#LW-]+|[A-Za-z]{3}(?:-[A-Za-z]{3})?")
_CRON_MESSAGE = ("cron expressions are not supported: write an ISO 8601 repeating interval, "
                 "e.g. R/PT1H (hourly) or R/2026-01-05T09:00:00Z/P1D (daily at 9:00 UTC)")


@dataclass(frozen=True)
class StartTimer:
    bpmn_id: str             # the start event's id
    kind: str                # "date", "duration" or "cycle"
    expression: str          # as written in the diagram


@dataclass(frozen=True)
class Schedule:
    """A timer start event's next start and what is left after it (a job row's state)."""
    timer: StartTimer
    due_at: datetime
    starts_left: int         # the start at due_at included; NO_END for ``R/...``
    interval: float          # seconds between a cycle's starts; 0 for a date or duration

    def after_firing(self, now: datetime) -> Schedule | None:
        """The schedule once the start due at ``due_at`` has run at ``now``; None after the last."""
        if self.interval <= 0:
            return None
        return _on_grid(self, now, at_least=1)

    def to_params(self) -> dict:
        return {"kind": self.timer.kind, "expression": self.timer.expression,
                "starts_left": self.starts_left, "interval": self.interval}

    @classmethod
    def from_params(cls, bpmn_id: str, due_at: datetime, params: dict) -> Schedule:
        timer = StartTimer(bpmn_id, params["kind"], params["expression"])
        return cls(timer, due_at, int(params["starts_left"]), float(params["interval"]))


class StartTimerError(ValueError):
    """A timer start event that cannot be scheduled; the message says why."""


def start_timers(spec) -> list[StartTimer]:
    """The timer start events of a process itself (not of its subprocesses), in id order."""
    found = [StartTimer(t.bpmn_id, _kind(t), t.event_definition.expression)
             for t in spec.task_specs.values() if isinstance(t, StartEvent) and _kind(t)]
    return sorted(found, key=lambda t: t.bpmn_id)


def first_schedule(spec, timer: StartTimer, now: datetime, script_engine) -> Schedule | None:
    """When ``timer`` first starts an instance of a process deployed at ``now``;
    None for a cycle with no start left (``R0/...``, or all its starts past).
    Raises StartTimerError."""
    value = _evaluate_at_start(_fresh_workflow(spec, script_engine), timer)
    try:
        return _first(timer, value, now)
    except StartTimerError:
        raise
    except Exception as exc:   # noqa: BLE001 - the library raises bare Exception for bad values
        raise StartTimerError(f"'{value}' is not an ISO 8601 {_VALUES[timer.kind]} ({exc})") from None


def _first(timer: StartTimer, value, now: datetime) -> Schedule | None:
    if timer.kind == "date":
        due = as_utc(value)
        if not isinstance(due, datetime):
            raise StartTimerError(f"'{value}' is a duration, not a date and time")
        return Schedule(timer, due, 1, 0.0)
    if timer.kind == "duration":
        return Schedule(timer, now + duration_from(value, now), 1, 0.0)
    repetitions, first, interval = parse_cycle(str(value), now)
    if interval <= timedelta(0):
        raise StartTimerError(f"'{value}' repeats every {interval}: the interval must be longer than zero")
    if repetitions == 0:
        return None
    return _on_grid(Schedule(timer, first, repetitions, interval.total_seconds()), now, at_least=0)


def problems(spec, script_engine=None) -> list[tuple[StartTimer, str]]:
    """Each timer start event of the process that cannot be scheduled, with why."""
    script_engine = script_engine or SandboxedScriptEngine()
    found = []
    for timer in start_timers(spec):
        try:
            first_schedule(spec, timer, datetime.now(timezone.utc), script_engine)
        except StartTimerError as exc:
            found.append((timer, f"timer start event, {_ELEMENTS[timer.kind]} '{timer.expression}': {exc}"))
    return found


def mark_fired(fired) -> None:
    """The timer start event task ``fired``, in a workflow about to start,
    passes when reached: ``event_fired`` is what all three timer classes
    check first; a cycle opens its path once, not once per repetition.
    (start_events.choose calls this, and cancels the other start events.)"""
    fired._set_internal_data(event_fired=True)
    if isinstance(fired.task_spec.event_definition, CycleTimerEventDefinition):
        # The library leaves a cycle's path out of the predicted tree and adds
        # it at each repetition (CycleTimerEventDefinition.update_task): here,
        # as that does, for the one repetition there is. With several start
        # events the event itself is only predicted (MAYBE) until they are reached.
        state = TaskState.MAYBE if fired.has_state(TaskState.PREDICTED_MASK) else TaskState.FUTURE
        for output in fired.task_spec.outputs:
            child = fired._add_child(output, state)
            child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)


def _kind(task_spec) -> str | None:
    definition = getattr(task_spec, "event_definition", None)
    return next((kind for cls, kind in _KINDS.items() if isinstance(definition, cls)), None)


def _fresh_workflow(spec, script_engine) -> BpmnWorkflow:
    # Built, not run: its start events are FUTURE tasks with no data.
    return BpmnWorkflow(spec, {}, script_engine=script_engine)


def _evaluate_at_start(workflow: BpmnWorkflow, timer: StartTimer):
    if _is_cron(timer.expression):
        raise StartTimerError(_CRON_MESSAGE)
    task = next(t for t in workflow.tasks.values() if t.task_spec.bpmn_id == timer.bpmn_id)
    accepts, parses = _READINGS[timer.kind]
    try:
        value = evaluate_timer(task, timer.expression, accepts, parses)
    except Exception as exc:   # noqa: BLE001 - any failure of the expression is the diagram's problem
        raise StartTimerError(f"cannot be evaluated when the process is deployed, before any "
                              f"instance data exists ({_reason(exc)})") from None
    if isinstance(value, str) and _is_cron(value):
        raise StartTimerError(_CRON_MESSAGE)
    return value



def _is_cron(expression: str) -> bool:
    fields = (expression or "").strip().strip("\"'").split()
    return 5 <= len(fields) <= 7 and all(_CRON_FIELD.fullmatch(f) for f in fields)


def _reason(exc: Exception) -> str:
    # The exception's own message: its str() adds notes that repeat the expression.
    message = str(exc.args[0]) if exc.args else ""
    return (message.strip().splitlines() or [type(exc).__name__])[0]


def _on_grid(schedule: Schedule, now: datetime, *, at_least: int) -> Schedule | None:
    """The first grid time ``due_at + k * interval`` (k >= at_least) that is not
    before ``now``, the k grid times skipped counting as starts; None when no
    start is left."""
    step = timedelta(seconds=schedule.interval)
    behind = -((schedule.due_at - now) // step)          # ceil((now - due_at) / step)
    k = max(at_least, behind)
    if schedule.starts_left != NO_END and k >= schedule.starts_left:
        return None
    left = schedule.starts_left if schedule.starts_left == NO_END else schedule.starts_left - k
    try:
        due = schedule.due_at + k * step
    except OverflowError:
        return None          # past the year 9999: no start is left
    return replace(schedule, due_at=due, starts_left=left)
