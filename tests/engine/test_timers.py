"""Timer events run on the clock of the workflow's script engine: tests move a
FrozenClock, a run reports when its next timer is due, and timers survive
dump and restore through the stored spec, as the services use them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from app.clock import FrozenClock
from app.engine.bundle import load_bundle
from app.engine import runtime
from app.engine.runtime import RunNotActive, WorkflowRun
from app.engine.sandbox import SandboxedScriptEngine
from app.engine.serializer import dump_spec, load_spec
from app.engine.timers import (
    ClockedCycleTimerEventDefinition, ClockedDurationTimerEventDefinition, ClockedTimeDateEventDefinition,
    parse_cycle,
)

DATA = Path(__file__).parent / "data" / "timers"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)      # FrozenClock's default start


class Case:
    """One process started through its stored spec, on a frozen clock."""

    def __init__(self, file: str, data: dict | None = None, engine=None):
        [model] = load_bundle({file: (DATA / file).read_bytes()}).processes
        self.spec_json = dump_spec(model)
        self.flavour = model.flavour
        self.clock = FrozenClock(T0)
        self.engine = engine or SandboxedScriptEngine(clock=self.clock)
        if engine is not None:
            engine.clock = self.clock
        spec, subs = load_spec(self.spec_json)
        self.run = WorkflowRun.start(spec, subs, self.flavour, data, script_engine=self.engine)

    def reload(self) -> WorkflowRun:
        """Dump, then restore from a freshly loaded spec, as a new request would."""
        spec, subs = load_spec(self.spec_json)
        self.run = WorkflowRun.restore(self.run.dump(), spec, subs, self.flavour, script_engine=self.engine)
        return self.run

    def at(self, when: datetime) -> WorkflowRun:
        """Move the clock, restore, and fire what is due: one timer job."""
        self.clock.set(when)
        self.reload().fire_due_timers()
        return self.run

    def open_tasks(self) -> list[str]:
        return sorted(t.bpmn_id for t in self.run.human_tasks())


# --- intermediate timers --------------------------------------------------------

@pytest.mark.parametrize("file", ["spiff_duration.bpmn", "camunda_duration.bpmn"])
def test_a_duration_waits_until_the_clock_reaches_its_due_time(file):
    # spiff writes "PT5M" (Python text), Camunda Modeler a bare PT5M.
    case = Case(file)
    due = T0 + timedelta(minutes=5)
    assert case.run.status == "running" and case.open_tasks() == []
    assert case.run.next_timer_due() == due

    case.at(due - timedelta(seconds=1))
    assert case.open_tasks() == [] and case.run.next_timer_due() == due

    case.at(due)                       # due at its due time, as its job is
    assert case.open_tasks() == ["after"]
    assert case.run.next_timer_due() is None
    case.run.complete_task(case.run.human_tasks()[0].id, {})
    assert case.run.status == "completed"


def test_the_due_time_is_fixed_when_the_timer_is_reached_and_kept_in_the_state():
    case = Case("spiff_duration.bpmn")
    case.clock.advance(hours=3)        # a restore later must not move the due time
    case.reload()
    assert case.run.next_timer_due() == T0 + timedelta(minutes=5)
    # ...and, the clock being past it, the next job fires it.
    case.run.fire_due_timers()
    assert case.open_tasks() == ["after"]


def test_a_plain_advance_fires_due_timers_too():
    case = Case("spiff_duration.bpmn")
    case.clock.advance(minutes=6)
    case.reload().advance()
    assert case.open_tasks() == ["after"]


@pytest.mark.parametrize("file, due", [
    ("camunda_date.bpmn", datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)),     # bare, as Camunda writes it
    ("spiff_date.bpmn", datetime(2026, 1, 5, 11, 0, tzinfo=timezone.utc)),       # "...T12:00:00+01:00"
])
def test_a_date_timer_fires_after_its_date(file, due):
    case = Case(file)
    assert case.run.next_timer_due() == due
    assert case.at(due - timedelta(minutes=1)) and case.open_tasks() == []
    case.at(due + timedelta(minutes=1))
    assert case.open_tasks() == ["after"]


def test_a_date_timer_can_be_an_expression_on_the_data():
    due = T0 + timedelta(days=2)
    case = Case("spiff_due_date.bpmn", {"due_date": due.isoformat()})
    assert case.run.next_timer_due() == due
    case.at(due + timedelta(seconds=1))
    assert case.open_tasks() == ["after"]


def test_a_date_in_the_past_fires_at_once():
    case = Case("spiff_due_date.bpmn", {"due_date": "2025-12-31T00:00:00Z"})
    assert case.open_tasks() == ["after"] and case.run.next_timer_due() is None


def test_a_timer_expression_that_fails_fails_the_run_at_the_timer():
    case = Case("spiff_due_date.bpmn", {})       # no due_date in the data
    assert case.run.status == "failed" and case.run.failure.element == "wait"
    assert "due_date" in case.run.failure.message
    with pytest.raises(RunNotActive):
        case.run.fire_due_timers()


def test_bare_iso_text_works_with_a_script_engine_that_does_not_quote_it():
    # Baton's sandbox quotes bare ISO values before evaluating; the timers
    # also fall back to the literal text (PT5M: NameError; a date: SyntaxError).
    case = Case("camunda_duration.bpmn", engine=PythonScriptEngine())
    assert case.run.next_timer_due() == T0 + timedelta(minutes=5)
    case = Case("camunda_date.bpmn", engine=PythonScriptEngine())
    assert case.run.next_timer_due() == datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


def test_a_misspelt_name_is_not_taken_for_a_timer_value():
    from app.engine.timers import _parses
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
    assert not _parses(TimerEventDefinition.parse_iso_duration, "P")     # the library accepts "P"
    assert _parses(TimerEventDefinition.parse_iso_duration, "PT5M")


# --- boundary timers ---------------------------------------------------------------

@pytest.mark.parametrize("file", ["spiff_interrupting.bpmn", "camunda_interrupting.bpmn"])
def test_an_interrupting_boundary_timer_cancels_the_task_and_takes_its_path(file):
    case = Case(file)
    assert case.open_tasks() == ["review"]
    assert case.run.next_timer_due() == T0 + timedelta(hours=1)

    case.at(T0 + timedelta(minutes=59))
    assert case.open_tasks() == ["review"]
    case.at(T0 + timedelta(hours=1, seconds=1))
    assert case.open_tasks() == ["chase"]
    assert case.run.next_timer_due() is None
    steps = {(s.bpmn_id, s.state) for s in case.run.take_step_log()}
    assert {("review", "CANCELLED"), ("overdue", "COMPLETED")} <= steps


def test_completing_the_task_first_cancels_its_boundary_timer():
    case = Case("spiff_interrupting.bpmn")
    case.run.complete_task(case.run.human_tasks()[0].id, {})
    assert case.run.status == "completed" and case.run.next_timer_due() is None


def test_a_non_interrupting_boundary_timer_opens_its_path_and_the_task_stays():
    case = Case("spiff_reminder.bpmn")
    case.at(T0 + timedelta(hours=1, seconds=1))
    assert case.open_tasks() == ["chase", "review"]
    assert case.run.next_timer_due() is None     # a duration fires once
    review = next(t for t in case.run.human_tasks() if t.bpmn_id == "review")
    case.run.complete_task(review.id, {})
    assert case.open_tasks() == ["chase"]


def test_a_cycle_fires_once_per_repetition():
    case = Case("camunda_cycle.bpmn")                 # R2/PT1H, non-interrupting
    first, second = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    assert case.run.next_timer_due() == first

    case.at(first + timedelta(seconds=1))
    assert case.open_tasks() == ["chase", "review"]
    assert case.run.next_timer_due() == second

    case.at(second + timedelta(seconds=1))
    assert case.open_tasks() == ["chase", "chase", "review"]
    assert case.run.next_timer_due() is None          # the cycle is done, in the same job

    case.at(second + timedelta(days=7))               # two repetitions: no third
    assert case.open_tasks() == ["chase", "chase", "review"]
    assert case.run.next_timer_due() is None


# --- the pieces ---------------------------------------------------------------------

def test_stored_specs_restore_clocked_timers_under_the_library_type_names():
    case = Case("camunda_cycle.bpmn")
    assert '"typename":"CycleTimerEventDefinition"' in case.spec_json
    spec, _ = load_spec(case.spec_json)
    assert isinstance(spec.task_specs["overdue"].event_definition, ClockedCycleTimerEventDefinition)
    for file, cls in [("spiff_duration.bpmn", ClockedDurationTimerEventDefinition),
                      ("camunda_date.bpmn", ClockedTimeDateEventDefinition)]:
        spec, _ = load_spec(Case(file).spec_json)
        assert type(spec.task_specs["wait"].event_definition) is cls


def test_parse_cycle_starts_a_duration_only_cycle_from_the_given_now():
    assert parse_cycle("R3/PT1H", T0) == (3, T0 + timedelta(hours=1), timedelta(hours=1))
    assert parse_cycle("R/P1D", T0) == (-1, T0 + timedelta(days=1), timedelta(days=1))
    start = datetime(2026, 2, 1, 8, 0, tzinfo=timezone.utc)
    assert parse_cycle("R2/2026-02-01T08:00:00Z/PT30M", T0) == (2, start, timedelta(minutes=30))


def test_the_script_engine_runs_on_the_system_clock_unless_given_one():
    before = datetime.now(timezone.utc)
    assert SandboxedScriptEngine().clock.now() >= before
    clock = FrozenClock(T0)
    assert SandboxedScriptEngine(clock=clock).clock is clock


def test_where_a_run_waits_on_no_person():
    """An intermediate timer holds the case; a timer on a person's task only watches it."""
    waiting = Case("spiff_duration.bpmn")
    assert waiting.run.waiting_steps() == {"wait": "Wait"}
    assert waiting.reload().waiting_steps() == {"wait": "Wait"}
    watched = Case("spiff_interrupting.bpmn")
    assert watched.open_tasks() == ["review"] and watched.run.waiting_steps() == {}


def test_a_reminder_repeated_for_months_keeps_the_stored_state_flat():
    # An overdue loan reminded daily: each firing runs the reminder's path to its own end event.
    case = Case("spiff_daily_reminder.bpmn")
    sizes = {}
    for day in range(1, 401):
        case.at(T0 + timedelta(days=day, seconds=1))
        if day in (10, 400):
            sizes[day] = (len(case.run.dump()), len(case.run.workflow.tasks))
    assert sizes[400][1] == sizes[10][1]                        # not one task more after 390 more reminders
    assert abs(sizes[400][0] - sizes[10][0]) <= 8               # bytes: a later date or two in the text
    assert case.open_tasks() == ["return"]
    [loan] = case.run.human_tasks()
    case.run.complete_task(loan.id, {"condition": "good"})
    assert case.run.status == "completed" and case.run.next_timer_due() is None
    assert case.run.data["condition"] == "good"
    assert case.run.data["reminded"] == (T0 + timedelta(days=399, seconds=1)).isoformat()


def test_the_reminders_end_with_the_same_data_as_in_a_tree_never_pruned(monkeypatch):
    def thirty_days_then_returned() -> dict:
        case = Case("spiff_daily_reminder.bpmn")
        for day in range(1, 31):
            case.at(T0 + timedelta(days=day, seconds=1))
        [loan] = case.run.human_tasks()
        case.run.complete_task(loan.id, {"condition": "fair"})
        return case.run.data

    pruned = thirty_days_then_returned()
    monkeypatch.setattr(runtime, "prune", lambda workflow: None)
    assert thirty_days_then_returned() == pruned
