"""Moving a run to another version of its process (app/engine/migration.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.clock import FrozenClock
from app.engine.bundle import load_bundle
from app.engine.migration import MigrationError, apply_migration, plan_migration
from app.engine.runtime import WorkflowRun
from app.engine.sandbox import SandboxedScriptEngine
from app.engine.serializer import dump_spec, load_spec
from tests.support.flows import boundary_timer, diagram, end, parallel, script, start, subprocess, timer, user

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


class Versions:
    """Versions of one process, each through its stored spec, on one frozen clock."""

    def __init__(self, *versions: bytes):
        self.specs = [dump_spec(load_bundle({"p.bpmn": xml}).processes[0]) for xml in versions]
        self.clock = FrozenClock(T0)
        self.engine = SandboxedScriptEngine(clock=self.clock)

    def start(self, version: int = 1) -> WorkflowRun:
        return WorkflowRun.start(*load_spec(self.specs[version - 1]), "spiff", {"n": 1}, script_engine=self.engine)

    def plan(self, run: WorkflowRun, to: int, from_: int = 1):
        return plan_migration(run, *load_spec(self.specs[to - 1]), from_version=from_, to_version=to)

    def move(self, run: WorkflowRun, to: int) -> WorkflowRun:
        moved = apply_migration(self.plan(run, to))
        # As the service does: the moved run is saved, and the next request restores it.
        return WorkflowRun.restore(moved.dump(), *load_spec(self.specs[to - 1]), "spiff", script_engine=self.engine)


def open_steps(run: WorkflowRun) -> list[str]:
    return sorted(t.bpmn_id for t in run.human_tasks())


def complete(run: WorkflowRun, bpmn_id: str, data: dict | None = None) -> None:
    task = next(t for t in run.human_tasks() if t.bpmn_id == bpmn_id)
    run.complete_task(task.id, data or {})


LINE_V1 = diagram("p", start(), user("review", "Review"), end(), paths=["start review end"])
LINE_V2 = diagram("p", start(), user("review", "Review the request"), user("approve", "Approve"), end(),
                  paths=["start review approve end"])
LINE_V3 = diagram("p", start(), user("check", "Check"), end(), paths=["start check end"])


def test_a_waiting_task_that_exists_in_the_new_version_moves_and_goes_on_along_its_path():
    versions = Versions(LINE_V1, LINE_V2)
    run = versions.start()
    [before] = run.human_tasks()
    plan = versions.plan(run, 2)
    assert plan.can_move and plan.reasons == () and plan.active_steps == ("review",)

    run = versions.move(run, 2)
    [after] = run.human_tasks()
    assert (after.id, after.name, after.data) == (before.id, "Review the request", {"n": 1})
    complete(run, "review", {"ok": True})
    assert open_steps(run) == ["approve"]          # the new version's path
    complete(run, "approve")
    assert run.status == "completed" and run.data == {"n": 1, "ok": True}


def test_planning_leaves_the_run_as_it_was():
    versions = Versions(LINE_V1, LINE_V2)
    run = versions.start()
    versions.plan(run, 2)
    complete(run, "review")
    assert run.status == "completed"               # still on version 1: no approve step


def test_a_waiting_step_the_new_version_lacks_cannot_move():
    versions = Versions(LINE_V1, LINE_V3)
    run = versions.start()
    plan = versions.plan(run, 2)
    assert not plan.can_move
    assert plan.reasons == ("The step 'Review' (review) waiting in version 1 does not exist in version 2.",)
    assert plan.active_steps == ("review",)
    with pytest.raises(MigrationError, match="does not exist in version 2"):
        apply_migration(plan)


def test_a_step_that_changed_its_kind_cannot_move():
    v2 = diagram("p", start(), timer("review", "PT1H", "Review"), end(), paths=["start review end"])
    versions = Versions(LINE_V1, v2)
    plan = versions.plan(versions.start(), 2)
    assert plan.reasons == ("The step 'Review' (review) is a user task in version 1 "
                            "but an intermediate catch event in version 2.",)


def test_a_waiting_timer_keeps_its_due_time_and_fires_into_the_new_path():
    v1 = diagram("p", start(), timer("wait", "PT1H", "Wait an hour"), user("after", "After"), end(),
                 paths=["start wait after end"])
    v2 = diagram("p", start(), timer("wait", "PT1H", "Wait an hour"), user("other", "Other"), end(),
                 paths=["start wait other end"])
    versions = Versions(v1, v2)
    run = versions.start()
    versions.clock.set(T0 + timedelta(minutes=30))
    assert versions.plan(run, 2).active_steps == ("wait",)
    run = versions.move(run, 2)
    assert run.next_timer_due() == T0 + timedelta(hours=1)   # not restarted by the move
    versions.clock.set(T0 + timedelta(hours=1))
    run.fire_due_timers()
    assert open_steps(run) == ["other"]


def test_a_boundary_event_of_the_waiting_step_must_exist_too():
    v1 = diagram("p", start(), user("review", "Review"), boundary_timer("late", "review", "P1D"), user("chase"),
                 end(), end("end2"), paths=["start review end", "late chase end2"])
    versions = Versions(v1, LINE_V2)
    plan = versions.plan(versions.start(), 2)
    assert plan.active_steps == ("review", "late")
    assert plan.reasons == ("The step 'late' waiting in version 1 does not exist in version 2.",)


def test_a_waiting_step_that_gains_a_boundary_event_cannot_move():
    v2 = diagram("p", start(), user("review", "Review"), boundary_timer("late", "review", "P1D"), user("chase"),
                 end(), end("end2"), paths=["start review end", "late chase end2"])
    versions = Versions(LINE_V1, v2)
    plan = versions.plan(versions.start(), 2)
    assert plan.reasons == ("The step 'Review' (review) has boundary events in version 2 that it lacks "
                            "in version 1 ('late').",)


def test_a_task_inside_an_embedded_subprocess_moves_with_it():
    inner = [start("s_start"), user("inner", "Inner work"), end("s_end")]
    v1 = diagram("p", start(), subprocess("sub", "Sub", *inner, paths=["s_start inner s_end"]),
                 user("done1", "Done one"), end(), paths=["start sub done1 end"])
    v2 = diagram("p", start(), subprocess("sub", "Sub", *inner, paths=["s_start inner s_end"]),
                 user("done2", "Done two"), end(), paths=["start sub done2 end"])
    versions = Versions(v1, v2)
    run = versions.start()
    assert set(versions.plan(run, 2).active_steps) == {"sub", "inner"}
    run = versions.move(run, 2)
    complete(run, "inner")
    assert open_steps(run) == ["done2"]            # predicted after the subprocess by version 2
    complete(run, "done2")
    assert run.status == "completed"


def test_a_subprocess_the_new_version_lacks_cannot_move():
    inner = [start("s_start"), user("inner", "Inner work"), end("s_end")]
    v1 = diagram("p", start(), subprocess("sub", "Sub", *inner, paths=["s_start inner s_end"]), end(),
                 paths=["start sub end"])
    versions = Versions(v1, LINE_V2)
    plan = versions.plan(versions.start(), 2)
    assert "The step 'Sub' (sub) waiting in version 1 does not exist in version 2." in plan.reasons
    assert any("inside the subprocess 'sub'" in r for r in plan.reasons)


def test_a_parallel_split_with_two_active_branches_moves_and_joins_on_the_new_version():
    def version(after: str):
        return diagram("p", start(), parallel("split"), user("a", "A"), user("b", "B"), parallel("join"),
                       user(after, after.title()), end(),
                       paths=["start split a join", "split b join", f"join {after} end"])
    versions = Versions(version("archive"), version("publish"))
    run = versions.start()
    complete(run, "a")                             # one branch already waits at the join
    plan = versions.plan(run, 2)
    assert set(plan.active_steps) == {"b", "join"} and plan.can_move
    run = versions.move(run, 2)
    assert open_steps(run) == ["b"]
    complete(run, "b")
    assert open_steps(run) == ["publish"]
    complete(run, "publish")
    assert run.status == "completed"


@pytest.mark.parametrize("v2_steps", [["second", "extra", "review"], ["review"]])
def test_the_step_before_the_waiting_one_may_be_renamed_or_gone(v2_steps):
    v1 = diagram("p", start(), user("first"), user("review", "Review"), end(), paths=["start first review end"])
    v2 = diagram("p", start(), *map(user, v2_steps), end(), paths=[f"start {' '.join(v2_steps)} end"])
    versions = Versions(v1, v2)
    run = versions.start()
    complete(run, "first")
    run = versions.move(run, 2)
    complete(run, "review")
    assert run.status == "completed"


def test_a_failed_step_moves_to_its_fixed_version_and_a_retry_runs_the_fix():
    def version(code: str) -> bytes:
        return diagram("p", start(), script("compute", code), user("review", "Review"), end(),
                       paths=["start compute review end"])
    versions = Versions(version("share = n / 0"), version("share = n / 2"))
    run = versions.start()
    assert run.status == "failed"
    plan = versions.plan(run, 2)
    assert plan.can_move and plan.active_steps == ("compute",)
    run = versions.move(run, 2)
    assert run.status == "failed"                  # moving fixes nothing by itself
    run.retry()
    assert open_steps(run) == ["review"] and run.human_tasks()[0].data["share"] == 0.5
