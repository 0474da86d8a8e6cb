"""Timer start events, the engine's side: which a process has, when each
starts an instance (first, then after each firing), the deploy checks on
their expressions, and an instance started by one passing its timer at once.
Both flavours: SpiffArena writes Python ("R3/PT1H", quoted), Camunda Modeler
bare ISO 8601 text (R3/PT1H)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.clock import FrozenClock
from app.engine.bundle import load_bundle
from app.engine.problems import InvalidBundle
from app.engine.start_events import UnknownStartEvent
from app.engine.runtime import WorkflowRun
from app.engine.sandbox import SandboxedScriptEngine
from app.engine.serializer import dump_spec, load_spec
from app.engine.start_timers import (
    NO_END, Schedule, StartTimer, StartTimerError, first_schedule, problems, start_timers,
)

DATA = Path(__file__).parent / "data" / "start_timers"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)      # FrozenClock's default start
HOUR = timedelta(hours=1)


def bpmn(file: str, replace: tuple[str, str] | None = None) -> bytes:
    """A test diagram, with one piece of text changed if asked (another timer value)."""
    text = (DATA / file).read_text()
    if replace is not None:
        assert replace[0] in text
        text = text.replace(*replace)
    return text.encode()


def process(file: str, replace: tuple[str, str] | None = None):
    """The process's spec as the runtime has it: parsed, stored and loaded again."""
    [model] = load_bundle({file: bpmn(file, replace)}).processes
    spec, subprocess_specs = load_spec(dump_spec(model))
    return spec, subprocess_specs, model.flavour


def schedule(file: str, replace: tuple[str, str] | None = None, now: datetime = T0) -> Schedule | None:
    spec, _, _ = process(file, replace)
    [timer] = start_timers(spec)
    return first_schedule(spec, timer, now, SandboxedScriptEngine(clock=FrozenClock(now)))


# --- which start timers a process has --------------------------------------------

@pytest.mark.parametrize("file, timer", [
    ("camunda_hourly.bpmn", StartTimer("every_hour", "cycle", "R3/PT1H")),
    ("spiff_hourly.bpmn", StartTimer("every_hour", "cycle", '"R3/PT1H"')),
    ("camunda_once.bpmn", StartTimer("at_noon", "date", "2026-01-05T12:00:00Z")),
    ("spiff_later.bpmn", StartTimer("soon", "duration", '"PT30M"')),
    ("spiff_two_starts.bpmn", StartTimer("nightly", "cycle", '"R/2026-01-05T23:00:00Z/P1D"')),
])
def test_the_timer_start_events_of_a_process(file, timer):
    spec, _, _ = process(file)
    assert start_timers(spec) == [timer]


def test_timers_that_are_not_start_events_are_not_listed():
    [model] = load_bundle({"c.bpmn": (DATA.parent / "timers" / "camunda_cycle.bpmn").read_bytes()}).processes
    assert start_timers(model.spec) == []          # a boundary cycle: the instance's own timer


# --- the schedule ------------------------------------------------------------------

@pytest.mark.parametrize("file", ["camunda_hourly.bpmn", "spiff_hourly.bpmn"])
def test_a_cycle_starts_one_interval_after_deployment_then_every_interval_n_times(file):
    first = schedule(file)
    assert (first.due_at, first.starts_left, first.interval) == (T0 + HOUR, 3, 3600.0)
    second = first.after_firing(first.due_at)
    third = second.after_firing(second.due_at + timedelta(seconds=5))     # the worker ran a little late
    assert [(s.due_at, s.starts_left) for s in (second, third)] == [(T0 + 2 * HOUR, 2), (T0 + 3 * HOUR, 1)]
    assert third.after_firing(third.due_at) is None
    assert Schedule.from_params("every_hour", second.due_at, second.to_params()) == second


def test_an_unbounded_cycle_never_ends():
    first = schedule("camunda_hourly.bpmn", ("R3/PT1H", "R/PT1H"))
    assert first.starts_left == NO_END
    later = first.after_firing(first.due_at).after_firing(first.due_at + HOUR)
    assert (later.due_at, later.starts_left) == (T0 + 3 * HOUR, NO_END)


def test_starts_missed_while_no_worker_ran_are_skipped_and_counted():
    first = schedule("camunda_hourly.bpmn", ("R3/PT1H", "R5/PT1H"))
    # Fired 2.5 hours late: the starts due at +2h and +3h passed meanwhile.
    late = first.after_firing(first.due_at + timedelta(hours=2, minutes=30))
    assert (late.due_at, late.starts_left) == (T0 + 4 * HOUR, 2)     # on the grid; 5 - 1 fired - 2 missed
    assert late.after_firing(late.due_at + 3 * HOUR) is None           # the last one missed too: done


def test_a_cycle_ends_where_the_calendar_does():
    last = schedule("camunda_hourly.bpmn", ("R3/PT1H", "R/9999-12-31T12:00:00Z/P1D"))
    assert last.due_at.year == 9999 and last.after_firing(last.due_at) is None


def test_a_cycle_with_a_start_date_starts_then():
    due = datetime(2026, 1, 6, 8, 0, tzinfo=timezone.utc)
    first = schedule("camunda_hourly.bpmn", ("R3/PT1H", "R2/2026-01-06T08:00:00Z/P1D"))
    assert (first.due_at, first.starts_left, first.interval) == (due, 2, 86400.0)


def test_a_cycle_that_began_before_deployment_starts_at_its_next_time():
    first = schedule("camunda_hourly.bpmn", ("R3/PT1H", "R5/2026-01-01T10:00:00Z/P1D"))
    assert (first.due_at, first.starts_left) == (datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc), 1)
    assert schedule("camunda_hourly.bpmn", ("R3/PT1H", "R2/2026-01-01T10:00:00Z/P1D")) is None  # all past
    assert schedule("camunda_hourly.bpmn", ("R3/PT1H", "R0/PT1H")) is None


@pytest.mark.parametrize("file, due", [
    ("camunda_once.bpmn", datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)),
    ("spiff_once.bpmn", datetime(2026, 1, 5, 11, 0, tzinfo=timezone.utc)),    # "...T12:00:00+01:00"
])
def test_a_date_starts_once_at_that_date(file, due):
    first = schedule(file)
    assert (first.due_at, first.starts_left) == (due, 1)
    assert first.after_firing(due) is None


def test_a_date_already_past_is_due_at_once():
    first = schedule("camunda_once.bpmn", ("2026-01-05T12:00:00Z", "2025-12-24T09:00:00Z"))
    assert first.due_at == datetime(2025, 12, 24, 9, 0, tzinfo=timezone.utc) < T0


@pytest.mark.parametrize("file", ["camunda_later.bpmn", "spiff_later.bpmn"])
def test_a_duration_starts_once_that_long_after_deployment(file):
    first = schedule(file)
    assert (first.due_at, first.starts_left) == (T0 + timedelta(minutes=30), 1)
    assert first.after_firing(first.due_at) is None


def test_a_python_expression_is_evaluated_without_instance_data():
    first = schedule("spiff_hourly.bpmn", ('"R3/PT1H"', '"R" + str(2) + "/PT" + str(4 * 15) + "M"'))
    assert (first.due_at, first.starts_left) == (T0 + HOUR, 2)


# --- what the deploy refuses -----------------------------------------------------------

@pytest.mark.parametrize("file, replace, element, words", [
    ("camunda_cron.bpmn", None, "at_nine", ["timeCycle '0 0 9 * * ?'", "cron expressions are not supported"]),
    ("camunda_hourly.bpmn", ("R3/PT1H", "0 15 10 ? * MON-FRI"), "every_hour", ["cron"]),
    ("spiff_hourly.bpmn", ('"R3/PT1H"', '"0 0 9 * * ?"'), "every_hour", ["cron"]),
    ("spiff_needs_data.bpmn", None, "when_asked",
     ["'start_at'", "cannot be evaluated when the process is deployed", "name 'start_at' is not defined"]),
    ("camunda_once.bpmn", ("2026-01-05T12:00:00Z", "PT5M"), "at_noon", ["'PT5M' is a duration, not a date"]),
    ("camunda_hourly.bpmn", ("R3/PT1H", "R3/PT0S"), "every_hour", ["longer than zero"]),
    ("camunda_hourly.bpmn", ("R3/PT1H", "R/P9000Y"), "every_hour", ["'R/P9000Y' is not an ISO 8601 repeating"]),
    ("camunda_later.bpmn", ("PT30M", "soon"), "soon", ["cannot be evaluated"]),
])
def test_a_start_timer_that_cannot_be_scheduled_is_refused_at_deploy(file, replace, element, words):
    with pytest.raises(InvalidBundle) as refused:
        load_bundle({file: bpmn(file, replace)})
    [problem] = refused.value.problems
    assert (problem.file, problem.element, problem.line) == (file, element, 4)
    assert problem.message.startswith("timer start event")
    for word in words:
        assert word in problem.message


def test_problems_lists_nothing_for_good_timers():
    for file in ["camunda_hourly.bpmn", "spiff_hourly.bpmn", "spiff_once.bpmn", "spiff_two_starts.bpmn"]:
        spec, _, _ = process(file)
        assert problems(spec) == []


# --- an instance started by its timer ----------------------------------------------------

def start(file: str, element: str, replace: tuple[str, str] | None = None, at: datetime = T0):
    spec, subprocess_specs, flavour = process(file, replace)
    clock = FrozenClock(at)
    engine = SandboxedScriptEngine(clock=clock)
    run = WorkflowRun.start(spec, subprocess_specs, flavour, {}, script_engine=engine, start_event=element)
    return run, (spec, subprocess_specs, flavour, engine, clock)


@pytest.mark.parametrize("file, element", [
    ("camunda_hourly.bpmn", "every_hour"), ("spiff_hourly.bpmn", "every_hour"),
    ("camunda_once.bpmn", "at_noon"), ("spiff_once.bpmn", "at_noon"),
    ("camunda_later.bpmn", "soon"), ("spiff_later.bpmn", "soon"),
])
def test_the_timer_that_started_an_instance_passes_at_once(file, element):
    run, _ = start(file, element)                  # 9:00: before any of these timers is due
    assert run.status == "running" and [t.bpmn_id for t in run.human_tasks()] == ["check"]
    assert run.next_timer_due() is None            # nothing left to wait for at the start
    assert (element, "COMPLETED") in {(s.bpmn_id, s.state) for s in run.take_step_log()}
    if file.startswith("spiff"):
        assert run.data == {"round_started": True}   # the script after the start ran


def test_a_cycle_opens_its_path_once_however_late_the_instance_starts():
    # The library would open the path once per repetition already due.
    run, (spec, subs, flavour, engine, clock) = start(
        "spiff_hourly.bpmn", "every_hour", ('"R3/PT1H"', '"R3/2025-01-01T00:00:00Z/PT1H"'))
    assert [t.bpmn_id for t in run.human_tasks()] == ["check"]
    clock.advance(days=3)
    again = WorkflowRun.restore(run.dump(), spec, subs, flavour, script_engine=engine)
    again.advance()
    assert [t.bpmn_id for t in again.human_tasks()] == ["check"] and again.next_timer_due() is None
    again.complete_task(again.human_tasks()[0].id, {})
    assert again.status == "completed"


_NIGHTLY = 'timeCycle xsi:type="bpmn:tFormalExpression">"R/2026-01-05T23:00:00Z/P1D"</bpmn:timeCycle>'
_TONIGHT = 'timeDate xsi:type="bpmn:tFormalExpression">"2026-01-05T23:00:00Z"</bpmn:timeDate>'


@pytest.mark.parametrize("replace", [None, (_NIGHTLY, _TONIGHT)])
def test_only_the_start_event_that_fired_runs(replace):
    run, _ = start("spiff_two_starts.bpmn", "nightly", replace)
    assert [t.bpmn_id for t in run.human_tasks()] == ["check"]      # not "fill", after the other start
    assert run.next_timer_due() is None
    run.complete_task(run.human_tasks()[0].id, {})
    assert run.status == "completed"


def test_a_manual_start_leaves_the_timer_start_event_alone():
    spec, subs, flavour = process("spiff_two_starts.bpmn")
    run = WorkflowRun.start(spec, subs, flavour, {}, script_engine=SandboxedScriptEngine(clock=FrozenClock(T0)))
    assert [t.bpmn_id for t in run.human_tasks()] == ["fill"] and run.next_timer_due() is None


def test_starting_at_an_element_that_is_no_timer_start_event_is_an_error():
    with pytest.raises(UnknownStartEvent, match="no message or timer start event 'by_hand'"):
        start("spiff_two_starts.bpmn", "by_hand")
