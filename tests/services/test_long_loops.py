"""A case that loops back a thousand times, through the database like any
other: it reaches the end, and its stored state does not grow."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from app.models import AuditEvent, Instance, db
from app.services import instances, tasks

LOOP = Path(__file__).resolve().parents[2] / "scripts" / "benchmarks" / "loop.bpmn"


def test_a_thousand_rounds_complete_and_the_state_stays_small(app_ctx, deploy, make_user):
    deploy({"loop.bpmn": LOOP.read_bytes()})
    ann = make_user("ann")
    instance = instances.start_instance("bench-loop", ann, data={"rounds": 0, "limit": 1000})
    sizes = {}
    for round_ in range(1, 1001):
        instance = tasks.complete(instance.open_tasks[0].id, {}, ann)
        if round_ in (10, 999):
            sizes[round_] = len(db.session.get(Instance, instance.id).state)
    assert instance.status == "completed" and instance.data["rounds"] == 1000
    assert sizes[999] <= 1.2 * sizes[10], sizes
    done = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.instance_id == instance.id, AuditEvent.type == "task_completed"))
    assert done == 1000
