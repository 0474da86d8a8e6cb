"""The candidate inbox: every claimable task of the person's groups and name,
oldest first, each once, paged — however many groups feed it."""
from __future__ import annotations

from app.services import instances, tasks
from tests.support.bpmn import linear_process, user


def test_candidate_inbox_merges_groups_in_order_and_pages(app_ctx, deploy, make_user, clock):
    deploy({"a.bpmn": linear_process("desk-work", user("a", "A", camunda_candidateGroups="desk")),
            "b.bpmn": linear_process("field-work", user("b", "B", camunda_candidateGroups="field")),
            "c.bpmn": linear_process("both-work", user("c", "C", camunda_candidateGroups="desk, field")),
            "d.bpmn": linear_process("own-work", user("d", "D", camunda_candidateUsers="ann"))})
    ann, other = make_user("ann", "desk", "field"), make_user("bob", "desk", "field")
    opened = []
    for key in ["desk-work", "field-work", "both-work", "own-work"] * 3:
        clock.advance(minutes=1)
        opened.append(instances.start_instance(key, other).open_tasks[0].id)
    tasks.claim(opened[0], other)   # claimed: no longer anyone's candidate

    inbox = [t.id for t in tasks.list_tasks(ann, scope="candidate")]
    assert inbox == opened[1:]   # oldest first, the shared task once, the claimed one gone
    pages = [[t.id for t in tasks.list_tasks(ann, scope="candidate", limit=4, offset=o)] for o in (0, 4, 8)]
    assert sum(pages, []) == opened[1:]
    assert [t.id for t in tasks.list_tasks(other, scope="candidate")] == \
        [i for n, i in enumerate(opened[1:], 1) if n % 4 != 3]   # bob is not a candidate of "own-work"
    first = tasks.list_tasks(ann, scope="candidate")[0]
    assert [t.id for t in tasks.list_tasks(ann, scope="candidate", instance_id=first.instance_id)] == [first.id]
