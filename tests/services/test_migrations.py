"""Moving running cases to another version of their process (app/services/migrations.py)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, HumanTask, Instance, Job, TaskCandidate, db
from app.services import instances, jobs, migrations, tasks
from app.services.errors import Conflict, Forbidden, NotFound
from tests.support.bpmn import linear_process, service_process, user
from tests.support.flows import diagram, end, start, timer
from tests.support.flows import user as flow_user

V1 = linear_process("leave", user("review", "Review", camunda_candidateGroups="clerks"))
V2 = linear_process("leave", user("review", "Review the request", camunda_candidateGroups="reviewers"),
                    user("approve", "Approve", camunda_candidateGroups="managers"))
V3 = linear_process("leave", user("check", "Check", camunda_candidateGroups="clerks"))


@pytest.fixture
def people(make_user):
    return {"admin": make_user("root", role="admin"), "ann": make_user("ann"), "bob": make_user("bob", "clerks"),
            "carl": make_user("carl", "managers"), "audrey": make_user("audrey", role="auditor")}


@pytest.fixture
def case(deploy, people):
    """An instance of version 1 waiting at its review; versions 2 and 3 deployed after it."""
    deploy({"leave.bpmn": V1})
    started = instances.start_instance("leave", people["ann"])
    deploy({"leave.bpmn": V2})
    deploy({"leave.bpmn": V3})
    return started


def _fresh(instance_id: int) -> Instance:
    db.session.remove()
    return db.session.get(Instance, instance_id)


def _events(instance_id: int, type_: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                                AuditEvent.type == type_)))


def test_the_dry_run_says_what_would_happen_and_changes_nothing(case, people):
    before = _fresh(case.id)
    result = migrations.check(case.id, 2, people["admin"])
    assert result == migrations.MigrationCheck(case.id, 1, 2, True, (), ("review",))
    after = _fresh(case.id)
    assert (after.definition_version, after.lock_version) == (1, before.lock_version)

    refused = migrations.check(case.id, 3, people["admin"])
    assert not refused.can_move
    assert refused.reasons == ("The step 'Review' (review) waiting in version 1 does not exist in version 3.",)


def test_a_moved_case_keeps_its_claimed_task_described_by_the_new_version_and_finishes_on_it(case, people):
    [review] = case.open_tasks
    tasks.claim(review.id, people["bob"])

    moved = migrations.migrate(case.id, 2, people["admin"])
    assert (moved.definition_key, moved.definition_version) == ("leave", 2)
    row = db.session.get(HumanTask, review.id)
    db.session.refresh(row)
    assert (row.state, row.name, row.assignee, row.candidate_groups) == ("open", "Review the request", "bob",
                                                                        ["reviewers"])
    assert list(db.session.scalars(sa.select(TaskCandidate.group_name).where(TaskCandidate.task_id == row.id))) \
        == ["reviewers"]
    [event] = _events(case.id, "instance_migrated")
    assert (event.actor, event.data) == ("root", {"from_version": 1, "to_version": 2})

    tasks.complete(review.id, {}, people["bob"])
    [approve] = _fresh(case.id).open_tasks
    assert (approve.bpmn_id, approve.candidate_groups) == ("approve", ["managers"])   # version 2's path
    tasks.complete(approve.id, {}, people["carl"])
    done = _fresh(case.id)
    assert (done.status, done.definition_version, done.definition_version_id) == \
        ("completed", 2, done.definition.id)


def test_only_admins_move_cases(case, people):
    for who in ("audrey", "ann"):
        for action in (migrations.check, migrations.migrate):
            with pytest.raises(Forbidden):
                action(case.id, 2, people[who])
    with pytest.raises(Forbidden, match="Auditors"):
        migrations.check_many([case.id], 2, people["audrey"])
    assert _fresh(case.id).definition_version == 1


def test_unknown_cases_and_versions_are_not_found(case, people):
    with pytest.raises(NotFound, match="no instance 999"):
        migrations.migrate(999, 2, people["admin"])
    with pytest.raises(NotFound, match="Process 'leave' has no version 7"):
        migrations.check(case.id, 7, people["admin"])


def test_a_case_that_cannot_move_is_a_conflict_with_the_reasons(case, people):
    with pytest.raises(Conflict) as refused:
        migrations.migrate(case.id, 3, people["admin"])
    assert refused.value.details["reasons"] == [
        "The step 'Review' (review) waiting in version 1 does not exist in version 3."]
    [review] = case.open_tasks
    tasks.complete(review.id, {}, people["bob"])
    with pytest.raises(Conflict) as ended:
        migrations.migrate(case.id, 2, people["admin"])
    assert ended.value.details["reasons"] == ["The case is completed: only running, suspended or failed cases can move."]
    assert _events(case.id, "instance_migrated") == []


def test_check_many_answers_for_each_case(case, people):
    other = instances.start_instance("leave", people["ann"])          # version 3, the latest
    results = migrations.check_many([case.id, other.id, 4242], 2, people["admin"])
    assert [(r.instance_id, r.from_version, r.can_move) for r in results] == [
        (case.id, 1, True), (other.id, 3, False), (4242, 0, False)]
    assert results[1].reasons == ("The step 'Check' (check) waiting in version 3 does not exist in version 2.",)
    assert results[2].reasons == ("There is no instance 4242.",)


def test_a_waiting_timer_keeps_its_job_and_fires_into_the_new_path(deploy, people, clock):
    def version(after: str) -> bytes:
        return diagram("wait", start(), timer("pause", "PT1H", "Pause"), flow_user(after, after.title()), end(),
                       paths=[f"start pause {after} end"])
    deploy({"wait.bpmn": version("archive")})
    case = instances.start_instance("wait", people["ann"])
    deploy({"wait.bpmn": version("publish")})
    due = clock.now() + timedelta(hours=1)
    clock.advance(minutes=30)
    migrations.migrate(case.id, 2, people["admin"])
    assert [j.due_at for j in db.session.scalars(sa.select(Job).where(Job.kind == "timer"))] == [due]
    clock.advance(minutes=31)
    assert jobs.run_due("w1") == 1
    assert [t.bpmn_id for t in _fresh(case.id).open_tasks] == ["publish"]


def test_a_waiting_service_call_that_changed_is_handed_to_the_worker_anew(deploy, people):
    deploy({"svc.bpmn": service_process("svc", "http", {"url": "'https://old.example'"})})
    changed = instances.start_instance("svc", people["ann"])
    deploy({"svc.bpmn": service_process("svc", "http", {"url": "'https://new.example'"})})
    same = instances.start_instance("svc", people["ann"])
    deploy({"svc.bpmn": service_process("svc", "http", {"url": "'https://new.example'"}, name="Renamed")})

    def calls() -> dict[int, tuple]:
        db.session.remove()
        return {j.instance_id: (j.id, j.params["url"]) for j in db.session.scalars(sa.select(Job))}
    before = calls()
    migrations.migrate(changed.id, 2, people["admin"])
    migrations.migrate(same.id, 3, people["admin"])        # version 3 makes the same call as 2
    after = calls()
    assert after[changed.id][1] == "https://new.example" and after[changed.id][0] != before[changed.id][0]
    assert after[same.id] == before[same.id]                # unchanged: its job stays as it was
