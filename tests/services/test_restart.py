"""An instance is exactly as it was after a restart: a new app, with nothing
held in memory, continues it from the database alone."""
from __future__ import annotations

from app import create_app
from app.models import db
from app.services import instances, processes, tasks, users
from tests.support.bpmn import linear_process, script, user


def test_an_instance_continues_after_a_restart(app, deploy, make_user, clock, tmp_path):
    with app.app_context():
        deploy({"p.bpmn": linear_process("onboard", user("prepare", "Prepare desk"),
                                         script("count", "Count", "desks = desks + 1"),
                                         user("welcome", "Welcome"))})
        ann = make_user("ann")
        started = instances.start_instance("onboard", ann, data={"desks": 1}, business_key="E-7")
        tasks.complete(started.open_tasks[0].id, {"room": "4.12"}, ann)
        before = instances.get_instance(started.id, ann)
        snapshot = (before.status, before.data, before.completed_steps, [t.bpmn_id for t in before.open_tasks])
        db.engine.dispose()
    processes._cache.clear()   # nothing of the first app survives in memory

    restarted = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                            "INSTANCE_PATH": str(tmp_path / "again"), "BATON_CLOCK": clock})
    with restarted.app_context():
        ann = users.get_user("ann")
        again = instances.get_instance(started.id, ann)
        assert (again.status, again.data, again.completed_steps, [t.bpmn_id for t in again.open_tasks]) == snapshot
        assert again.data == {"desks": 2, "room": "4.12"} and again.business_key == "E-7"
        done = tasks.complete(again.open_tasks[0].id, {}, ann)
        assert done.status == "completed"
        assert done.completed_steps[-2:] == ["welcome", "end"]
        db.engine.dispose()
