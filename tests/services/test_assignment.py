"""Who a task belongs to: an assignee expression, candidate users and groups,
or — with no rule at all — the person who started the instance."""
from __future__ import annotations

import pytest

from app.services import instances, tasks
from app.services.errors import Conflict, Forbidden
from tests.support.bpmn import linear_process, user


def test_an_assignee_expression_picks_the_person_from_the_data(app_ctx, deploy, make_user):
    deploy({"p.bpmn": linear_process("expense", user("approve", "Approve", camunda_assignee="${manager}"))})
    ann, mia, max_ = make_user("ann"), make_user("mia"), make_user("max")
    instance = instances.start_instance("expense", ann, data={"manager": "mia"})
    task = instance.open_tasks[0]
    assert task.assignee == "mia"
    assert [t.id for t in tasks.list_tasks(mia, scope="mine")] == [task.id]
    assert tasks.list_tasks(max_, scope="all") == []
    with pytest.raises(Forbidden):
        tasks.complete(task.id, {}, max_)
    with pytest.raises(Forbidden):
        tasks.complete(task.id, {}, ann)
    assert tasks.complete(task.id, {"ok": True}, mia).status == "completed"


def test_a_task_with_no_rule_belongs_to_the_starter(app_ctx, deploy, make_user):
    deploy({"p.bpmn": linear_process("note", user("confirm", "Confirm"))})
    ann, bob = make_user("ann"), make_user("bob")
    task = instances.start_instance("note", ann).open_tasks[0]
    assert task.candidate_users == ["ann"] and task.candidate_groups == []
    with pytest.raises(Forbidden):
        tasks.claim(task.id, bob)
    assert tasks.claim(task.id, ann).assignee == "ann"


def test_candidate_users_and_groups_and_claims(app_ctx, deploy, make_user):
    deploy({"p.bpmn": linear_process("fix", user("repair", "Repair", camunda_candidateUsers="zoe",
                                                 camunda_candidateGroups="desk, field"))})
    zoe, ann, ed, out = make_user("zoe"), make_user("ann", "desk"), make_user("ed", "field"), make_user("out")
    task = instances.start_instance("fix", out).open_tasks[0]
    assert sorted(task.candidate_groups) == ["desk", "field"] and task.candidate_users == ["zoe"]
    for person in (zoe, ann, ed):
        assert [t.id for t in tasks.list_tasks(person, scope="candidate")] == [task.id]
    assert tasks.list_tasks(out, scope="candidate") == []
    tasks.claim(task.id, ed)
    assert tasks.list_tasks(ann, scope="candidate") == []       # claimed tasks leave the candidate inbox
    with pytest.raises(Conflict):
        tasks.claim(task.id, ann)
    with pytest.raises(Forbidden):
        tasks.unclaim(task.id, ann)
    tasks.unclaim(task.id, ed)
    assert [t.id for t in tasks.list_tasks(ann, scope="candidate")] == [task.id]


def test_admins_may_act_and_auditors_may_only_read(app_ctx, deploy, make_user):
    deploy({"p.bpmn": linear_process("fix", user("repair", "Repair", camunda_candidateGroups="desk"))})
    boss, audit = make_user("boss", role="admin"), make_user("audrey", role="auditor")
    instance = instances.start_instance("fix", make_user("ann"))
    task_id = instance.open_tasks[0].id
    assert [t.id for t in tasks.list_tasks(audit, scope="all")] == [task_id]
    assert instances.get_instance(instance.id, audit).id == instance.id
    for act in (lambda: tasks.claim(task_id, audit), lambda: tasks.complete(task_id, {}, audit),
                lambda: instances.change_status(instance.id, "suspend", audit),
                lambda: instances.start_instance("fix", audit)):
        with pytest.raises(Forbidden):
            act()
    assert tasks.complete(task_id, {}, boss).status == "completed"


def test_spiff_properties_name_the_starter_and_the_owner_and_give_them_later_steps(app_ctx, deploy, make_user):
    from pathlib import Path

    deploy({"case.bpmn": (Path(__file__).parent / "data" / "case_owner.bpmn").read_bytes()})
    ann, cora, carl = make_user("ann"), make_user("cora", "case-manager"), make_user("carl", "case-manager")
    instance = instances.start_instance("owned_case", ann, data={})
    assert instance.data["requester"] == "ann"                  # the start event's initiator variable
    [screen] = instance.open_tasks
    assert screen.candidate_groups == ["case-manager"]
    tasks.claim(screen.id, cora)
    instance = tasks.complete(screen.id, {}, cora)
    [work] = instance.open_tasks
    assert work.assignee == "cora"                              # who screened it owns it from now on
    with pytest.raises(Forbidden):
        tasks.complete(work.id, {}, carl)
    instance = tasks.complete(work.id, {}, cora)
    [feedback] = instance.open_tasks
    assert feedback.candidate_users == ["ann"]
    assert tasks.complete(feedback.id, {}, ann).data["case_manager"] == "cora"
