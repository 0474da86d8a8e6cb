"""The inbox page's use case (services/inbox.py): the two views and their
counts, the filters, every order, paging, and what counts as overdue."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.services import instances, tasks
from app.services.inbox import escape_like, inbox
from tests.support.bpmn import linear_process, user

# One user task for the desk group whose due date and priority come from the
# start data (``${due}``: a duration counted from when the task opens).
WORK = linear_process("work", user("handle", "Handle request", camunda_candidateGroups="desk",
                                   camunda_dueDate="${due}", camunda_priority="${urgency}"), name="Service request")
REPAIR = linear_process("repair", user("fix", "Fix laptop", camunda_candidateGroups="desk, field"),
                        name="Laptop repair")
PAYROLL = linear_process("payroll", user("pay", "Pay salaries", camunda_candidateGroups="finance"), name="Payroll")


@pytest.fixture
def people(make_user):
    return {"ann": make_user("ann", "desk"), "bob": make_user("bob", "desk"), "fay": make_user("fay", "finance"),
            "nobody": make_user("nobody"), "starter": make_user("starter")}


def start(key: str, starter, clock, business_key: str | None = None, **data) -> str:
    """Starts ``key`` a minute after the last start (so creation order is known); the open task's id."""
    clock.advance(minutes=1)
    data.setdefault("due", "P1D")
    data.setdefault("urgency", 50)
    return instances.start_instance(key, starter, business_key=business_key, data=data).open_tasks[0].id


def ids(result) -> list[str]:
    return [row.task_id for row in result.rows]


def test_the_views_their_counts_and_a_claim_moving_a_task(app_ctx, deploy, people, clock):
    deploy({"w.bpmn": WORK, "r.bpmn": REPAIR, "p.bpmn": PAYROLL})
    ann, bob, starter = people["ann"], people["bob"], people["starter"]
    first = start("work", starter, clock, "REQ-1")
    second = start("repair", starter, clock, "LAP-1")
    start("payroll", starter, clock, "PAY-1")

    mine, group = inbox(ann, view="mine"), inbox(ann, view="group")
    assert mine.counts == group.counts == {"mine": 0, "group": 2}
    assert mine.rows == [] and mine.total == 0
    assert set(ids(group)) == {first, second} and group.total == 2
    assert [(p.key, p.name) for p in group.processes] == [("repair", "Laptop repair"), ("work", "Service request")]

    row = next(r for r in group.rows if r.task_id == second)
    assert (row.task_name, row.process_key, row.process_name, row.business_key) == \
        ("Fix laptop", "repair", "Laptop repair", "LAP-1")
    assert row.candidate_groups == ("desk", "field") and row.assignee is None and row.priority == 50
    assert row.instance_id == instances.get_instance(row.instance_id, starter).id

    tasks.claim(first, ann)
    mine, group = inbox(ann, view="mine"), inbox(ann, view="group")
    assert ids(mine) == [first] and mine.rows[0].assignee == "ann"
    assert ids(group) == [second]
    assert mine.counts == {"mine": 1, "group": 1}
    # Claimed by ann: gone from bob's group view too, and not in his own.
    assert inbox(bob, view="group").counts == {"mine": 0, "group": 1}
    tasks.unclaim(first, ann)
    assert inbox(ann).counts == {"mine": 0, "group": 2}


def test_people_of_other_groups_and_of_none_see_nothing(app_ctx, deploy, people, clock):
    deploy({"w.bpmn": WORK, "p.bpmn": PAYROLL})
    start("work", people["starter"], clock)
    fay = inbox(people["fay"], view="group")
    assert fay.rows == [] and fay.counts == {"mine": 0, "group": 0} and fay.processes == []
    nobody = inbox(people["nobody"], view="group")
    assert nobody.rows == [] and nobody.counts == {"mine": 0, "group": 0}


def test_a_task_offered_by_name_counts_for_someone_without_groups(app_ctx, deploy, people, clock):
    deploy({"n.bpmn": linear_process("named", user("look", "Look", camunda_candidateUsers="nobody"))})
    task_id = start("named", people["starter"], clock)
    assert ids(inbox(people["nobody"], view="group")) == [task_id]


def test_text_search_matches_task_process_and_case_ignoring_case(app_ctx, deploy, people, clock):
    deploy({"w.bpmn": WORK, "r.bpmn": REPAIR})
    ann, starter = people["ann"], people["starter"]
    request = start("work", starter, clock, "REQ-7")
    laptop = start("repair", starter, clock, "ZZ-9")
    for text, expected in [("handle", [request]), ("LAPTOP", [laptop]), ("req-7", [request]),
                           ("service REQ", [request]), ("zz-", [laptop]), ("nothing like it", [])]:
        found = inbox(ann, view="group", text=text)
        assert ids(found) == expected, text
        assert found.total == len(expected) and found.filtered
    # The tab counts are the views', whatever the search.
    assert inbox(ann, view="group", text="handle").counts == {"mine": 0, "group": 2}
    assert inbox(ann, view="group", text="   ").text is None


def test_text_search_takes_wildcards_literally(app_ctx, deploy, people, clock):
    deploy({"w.bpmn": WORK})
    starter = people["starter"]
    keys = {key: start("work", starter, clock, key) for key in ("50%_off", "50xyoff", "a_b", "axb", "back\\slash")}
    for text, expected in [("50%", ["50%_off"]), ("%_", ["50%_off"]), ("a_b", ["a_b"]), ("_", ["50%_off", "a_b"]),
                           ("k\\s", ["back\\slash"]), ("%", ["50%_off"])]:
        assert sorted(ids(inbox(people["ann"], view="group", text=text))) == sorted(keys[k] for k in expected), text
    assert escape_like("5%_\\") == "5\\%\\_\\\\"


def test_the_process_filter(app_ctx, deploy, people, clock):
    deploy({"w.bpmn": WORK, "r.bpmn": REPAIR})
    ann, starter = people["ann"], people["starter"]
    work = [start("work", starter, clock) for _ in range(2)]
    start("repair", starter, clock)
    found = inbox(ann, view="group", process="work", sort="created")
    assert ids(found) == work and found.total == 2 and found.process == "work" and found.filtered
    assert [p.key for p in found.processes] == ["repair", "work"]   # the choices stay all of them
    both = inbox(ann, view="group", process="work", text="handle")
    assert both.total == 2
    # A process nobody deployed is no filter at all rather than an empty inbox.
    unknown = inbox(ann, view="group", process="no-such-process")
    assert unknown.process is None and unknown.total == 3 and not unknown.filtered
    # A deployed process without open tasks stays chosen (and listed), with nothing in it.
    deploy({"p.bpmn": PAYROLL})
    empty = inbox(ann, view="group", process="payroll")
    assert empty.process == "payroll" and empty.rows == [] and empty.total == 0
    assert [p.key for p in empty.processes] == ["repair", "payroll", "work"]   # by name: Laptop, Payroll, Service


def test_every_order(app_ctx, deploy, people, clock):
    deploy({"w.bpmn": WORK})
    ann, starter = people["ann"], people["starter"]
    # In order of creation: (due in, urgency).
    specs = [("P3D", 50), ("P1D", 20), ("", 90), ("P2D", 90), ("P1D", 80), ("", 10)]
    made = [start("work", starter, clock, f"K{n}", due=due, urgency=urgency) for n, (due, urgency) in enumerate(specs)]
    rows = {row.task_id: row for row in inbox(ann, view="group").rows}
    assert rows[made[2]].due_at is None and rows[made[2]].priority == 90   # "" is no due date

    def order(sort):
        return [made.index(i) for i in ids(inbox(ann, view="group", sort=sort))]

    # Soonest due first (the two due in a day: the older first), no due date last.
    assert order("due") == [1, 4, 3, 0, 2, 5]
    # Most urgent first; equal urgency: soonest due, then no due date.
    assert order("priority") == [3, 2, 4, 0, 1, 5]
    assert order("created") == [0, 1, 2, 3, 4, 5]
    assert inbox(ann, view="group", sort="sideways").sort == "due"


def test_same_moment_tasks_keep_a_stable_order_across_pages(app_ctx, deploy, people):
    deploy({"w.bpmn": WORK})
    # The clock stands still: every task opens at the same moment, due at the same moment.
    made = [instances.start_instance("work", people["starter"], data={"due": "P1D", "urgency": 50}).open_tasks[0].id
            for _ in range(5)]
    pages = [ids(inbox(people["ann"], view="group", page=p, per_page=2)) for p in (1, 2, 3)]
    assert sum(pages, []) == sorted(made) and [len(p) for p in pages] == [2, 2, 1]


def test_paging(app_ctx, deploy, people, clock):
    deploy({"w.bpmn": WORK})
    made = [start("work", people["starter"], clock) for _ in range(5)]
    second = inbox(people["ann"], view="group", sort="created", page=2, per_page=2)
    assert ids(second) == made[2:4] and second.total == 5 and second.pages == 3 and second.page == 2
    past_the_end = inbox(people["ann"], view="group", sort="created", page=99, per_page=2)
    assert past_the_end.page == 3 and ids(past_the_end) == made[4:]
    assert inbox(people["ann"], view="group", page=-4).page == 1
    assert inbox(people["ann"], view="mine", page=7).page == 1   # empty: "page 1 of 1"


def test_overdue_follows_the_clock(app_ctx, deploy, people, clock):
    deploy({"w.bpmn": WORK})
    soon = start("work", people["starter"], clock, due="PT2H")
    later = start("work", people["starter"], clock, due="P2D")
    undated = start("work", people["starter"], clock, due="")

    def overdue():
        return {row.task_id for row in inbox(people["ann"], view="group").rows if row.overdue}

    assert overdue() == set()
    clock.advance(hours=3)
    assert overdue() == {soon}
    assert inbox(people["ann"], view="group").as_of == clock.now()
    clock.advance(days=3)
    assert overdue() == {soon, later} and undated not in overdue()


def test_unknown_views_fall_back_to_mine(app_ctx, deploy, people, clock):
    deploy({"w.bpmn": WORK})
    task_id = start("work", people["starter"], clock)
    tasks.claim(task_id, people["ann"])
    assert inbox(people["ann"], view="everything").view == "mine"
    assert ids(inbox(people["ann"], view="everything")) == [task_id]


def test_the_mine_view_holds_only_the_callers_tasks(app_ctx, deploy, people, clock):
    deploy({"w.bpmn": WORK})
    ann_task, bob_task = start("work", people["starter"], clock), start("work", people["starter"], clock)
    tasks.claim(ann_task, people["ann"])
    tasks.claim(bob_task, people["bob"])
    assert ids(inbox(people["ann"])) == [ann_task]
    assert ids(inbox(people["bob"])) == [bob_task]
    # Completed tasks leave the inbox.
    tasks.complete(ann_task, {}, people["ann"])
    assert inbox(people["ann"]).counts == {"mine": 0, "group": 0}
    assert timedelta(0) <= clock.now() - inbox(people["ann"]).as_of
