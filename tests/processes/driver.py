"""Driving a shipped process the way its users do, through Baton's services:
start it, look in people's inboxes, claim and complete tasks, let the worker
run what is due (hooks, timers, messages) while the injected clock moves, and
read back the path taken, who did what, and what people were told.

    desk = Desk("incident", app, clock)
    case = desk.start(alice, {...})
    assert desk.inbox(dave, case) == ["triage"]
    case = desk.work(dave, case, "triage", {...})
    desk.advance(hours=2)            # fires due timers (and runs due hooks)
    assert desk.path(case) == [...]
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.models import AuditEvent, Instance, OutboxMessage, Record, User, db
from app.services import instances, messages, tasks
from app.web.pages.rich_text import fill_template
from app.worker import run_once


class Desk:
    def __init__(self, process: str, app, clock):
        self.process = process
        self.app = app
        self.clock = clock

    # --- acting -------------------------------------------------------------------

    def start(self, user: User, data: dict, *, business_key: str | None = None) -> Instance:
        """Start the process as ``user`` (its start form checks ``data``), then let
        the worker run what became due."""
        instance = instances.start_instance(self.process, user, data=data, business_key=business_key)
        self.run_worker()
        return self.reload(instance)

    def work(self, user: User, instance: Instance, bpmn_id: str, data: dict) -> Instance:
        """Claim the step from the inbox and complete it, as a person does in the
        browser (after reading its instructions, which must fill in); then the
        worker runs what became due."""
        self.instructions(user, instance, bpmn_id)
        task = self.task(user, instance, bpmn_id)
        if task.assignee != user.username:
            tasks.claim(task.id, user)
        tasks.complete(task.id, data, user)
        self.run_worker()
        return self.reload(instance)

    def advance(self, delta: timedelta | None = None, **kwargs) -> None:
        """Move the clock and run what fell due (timers, retries)."""
        self.clock.advance(delta or timedelta(**kwargs))
        self.run_worker()

    def run_worker(self) -> int:
        """Run every due job, as ``baton worker`` would; returns how many ran."""
        return run_once(self.app)

    def message(self, user: User, name: str, correlation: dict | None = None, data: dict | None = None):
        """An outside system's message (POST /messages); the worker then runs."""
        result = messages.send_message(user, name, correlation=correlation, data=data)
        self.run_worker()
        return result

    # --- reading ------------------------------------------------------------------

    def reload(self, instance: Instance | int) -> Instance:
        """The instance as the database holds it now."""
        db.session.remove()
        return db.session.get(Instance, instance if isinstance(instance, int) else instance.id)

    def inbox(self, user: User, instance: Instance) -> list[str]:
        """The steps of this instance that ``user`` may claim or holds, sorted."""
        return sorted(t.bpmn_id for t in tasks.list_tasks(user, scope="all", instance_id=instance.id)
                      if t.state == "open")

    def task(self, user: User, instance: Instance, bpmn_id: str):
        found = [t for t in tasks.list_tasks(user, scope="all", instance_id=instance.id)
                 if t.bpmn_id == bpmn_id and t.state == "open"]
        assert len(found) == 1, f"{user.username} does not see exactly one open {bpmn_id}: {found}"
        return found[0]

    def instructions(self, user: User, instance: Instance, bpmn_id: str) -> str:
        """The step's instructions as its page shows them, filled with its data;
        Jinja that does not fill in would be shown to people as written."""
        detail = tasks.get_task(self.task(user, instance, bpmn_id).id, user)
        filled = fill_template(detail.instructions, detail.data)
        assert "{{" not in filled and "{%" not in filled, (bpmn_id, filled)
        return filled

    def data_of(self, user: User, instance: Instance, bpmn_id: str) -> dict:
        """What the step's form shows (the data at that step)."""
        return tasks.get_task(self.task(user, instance, bpmn_id).id, user).data

    def path(self, instance: Instance, only: set[str] | None = None) -> list[str]:
        """The diagram's elements the instance completed, in order, from the audit
        trail (``only``: keep these ids, e.g. the tasks and gateways)."""
        steps = [e.element for e in self._trail(instance) if e.type == "step_completed"]
        return [s for s in steps if only is None or s in only]

    def who_did_what(self, instance: Instance) -> list[tuple[str, str, list[str]]]:
        """(step, who completed it, which groups were asked) for every human step done."""
        trail = self._trail(instance)
        asked: dict[str, list[str]] = {}
        done = []
        for event in trail:
            if event.type == "task_opened":
                asked[event.element] = event.data.get("candidate_groups") or []
            elif event.type == "task_completed":
                done.append((event.element, event.actor, asked.get(event.element, [])))
        return done

    def events(self, instance: Instance, type_: str) -> list[AuditEvent]:
        return [e for e in self._trail(instance) if e.type == type_]

    def outbox(self, username: str) -> list[str]:
        """The subjects of the messages ``username`` was sent, oldest first."""
        return list(db.session.scalars(sa.select(OutboxMessage.subject).where(
            OutboxMessage.recipient == username).order_by(OutboxMessage.id)))

    def records(self, collection: str) -> dict[str, Any]:
        """The store hook's records of a collection, by key."""
        return {r.key: r.value for r in db.session.scalars(
            sa.select(Record).where(Record.collection == collection).order_by(Record.key))}

    def _trail(self, instance: Instance) -> list[AuditEvent]:
        db.session.remove()
        return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == instance.id)
                                       .order_by(AuditEvent.id)))
