"""Two people acting on the same task at the same moment, on real threads
against a real SQLite file and a real PostgreSQL server: one wins, the other
gets a conflict, and the instance is as if only the winner had acted."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from app.models import AuditEvent, HumanTask, db
from app.services import instances, tasks
from app.services.errors import Conflict
from tests.support.bpmn import linear_process, user


def race(app, action, *args_per_thread):
    """Run ``action(*args)`` in one thread per argument tuple, released together."""
    barrier = threading.Barrier(len(args_per_thread))
    outcomes = [None] * len(args_per_thread)

    def work(i, args):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[i] = ("ok", action(*args))
            except Exception as exc:  # noqa: BLE001 — the outcome is what the test asserts on
                outcomes[i] = ("error", exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i, args)) for i, args in enumerate(args_per_thread)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_two_completions_of_one_task_one_wins(app_ctx, deploy, make_user):
    deploy({"p.bpmn": linear_process("review", user("check", "Check", camunda_candidateGroups="desk"),
                                     user("close", "Close", camunda_candidateGroups="desk"))})
    ann, bob = make_user("ann", "desk"), make_user("bob", "desk")
    instance = instances.start_instance("review", ann)
    task_id = instance.open_tasks[0].id

    outcomes = race(app_ctx, lambda data, who: tasks.complete(task_id, data, who),
                    ({"by": "ann"}, ann), ({"by": "bob"}, bob))

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    error = next(result for kind, result in outcomes if kind == "error")
    assert isinstance(error, Conflict)
    winner = next(result for kind, result in outcomes if kind == "ok")
    db.session.expire_all()
    completed = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.instance_id == instance.id, AuditEvent.type == "task_completed")).all()
    assert len(completed) == 1
    now = instances.get_instance(instance.id, ann)
    assert now.data["by"] == completed[0].data["data"]["by"]
    assert [t.bpmn_id for t in now.open_tasks] == ["close"]
    assert db.session.get(HumanTask, task_id).completed_by == completed[0].actor
    assert winner.id == instance.id


def test_two_claims_of_one_task_one_wins(app_ctx, deploy, make_user):
    deploy({"p.bpmn": linear_process("triage", user("look", "Look", camunda_candidateGroups="desk"))})
    ann, bob = make_user("ann", "desk"), make_user("bob", "desk")
    task_id = instances.start_instance("triage", ann).open_tasks[0].id

    outcomes = race(app_ctx, lambda who: tasks.claim(task_id, who).assignee, (ann,), (bob,))

    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    winner = next(result for kind, result in outcomes if kind == "ok")
    db.session.expire_all()
    assert db.session.get(HumanTask, task_id).assignee == winner
    claims = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.type == "task_claimed")).all()
    assert [c.actor for c in claims] == [winner]
