"""The instance page: one case read in full. Where it stands (status, the
diagram with the steps done, waiting and failed and the way taken), who its
open tasks wait for, what went wrong, its data, and its whole history; and
the audit trail behind the history, as a page and as CSV or JSON, every event
with its time, actor, step and the data entered, for those who may read the
case's data.

Read-only. Whoever may see the case (its starter, people who hold or may
pick up one of its tasks, auditors, admins) may open it; anybody else gets
the 403 page, from the service's Forbidden.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime

from flask import Response, render_template, url_for

from app.models import AuditEvent, HumanTask, Instance
from app.services import instances, people, permissions
from app.services.users import Caller

from . import bp, case_view, history
from .auth import login_required
from .diagrams import markers_for


@dataclass(frozen=True)
class OpenTask:
    task: HumanTask
    holder: str          # case_view.waits_for
    url: str | None      # None when the person may not open the task itself


@bp.route("/instances/<int:instance_id>")
@login_required
def instance(instance_id: int, caller: Caller):
    case = instances.case_file(instance_id, caller)   # NotFound, Forbidden: the error pages
    found, events = case.instance, case.events
    names = people.display_names([*history.actors(events), found.started_by,
                                  *case_view.people_named_in(found.open_tasks)])
    steps = _step_names(events, found)
    rows, keys_left = case_view.data_rows(found.data) if case.shows_data else ([], 0)
    return render_template(
        "instances/instance.html", instance=found, people=names, step_names=steps,
        open_tasks=[_open_task(t, found, caller, names) for t in found.open_tasks],
        incidents=list(found.open_incidents), shows_data=case.shows_data, data_rows=rows, data_keys_left=keys_left,
        history=list(reversed(history.tell(events, steps, names))), markers=markers_for(found, tuple(case.waiting_at)),
        waiting_names=list(case.waiting_at.values()))


@dataclass(frozen=True)
class TrailRow:
    """One audit event as the trail page and its downloads show it."""

    at: datetime
    type: str
    actor: str | None
    element: str | None
    step: str | None
    data: dict

    def data_lines(self) -> list[tuple[str, str]]:
        """The data as name/value lines for the page: text as it is, anything else as JSON."""
        return [(name, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))
                for name, value in self.data.items()]

    def for_download(self) -> dict:
        return {"at": self.at.isoformat(), "type": self.type, "actor": self.actor, "element": self.element,
                "step": self.step, "data": self.data}


def _trail_rows(case: instances.CaseFile) -> list[TrailRow]:
    steps = _step_names(case.events, case.instance)
    return [TrailRow(e.at, e.type, e.actor, e.element, steps.get(e.element or ""), e.data or {}) for e in case.events]


@bp.route("/instances/<int:instance_id>/audit-trail")
@login_required
def audit_trail_page(instance_id: int, caller: Caller):
    case = instances.audit_trail(instance_id, caller)   # NotFound, Forbidden: the error pages
    rows = _trail_rows(case)
    names = people.display_names([r.actor for r in rows if r.actor])
    return render_template("instances/audit_trail.html", instance=case.instance, rows=rows, people=names)


@bp.route("/instances/<int:instance_id>/audit-trail.<any(csv, json):kind>")
@login_required
def audit_trail(instance_id: int, kind: str, caller: Caller):
    case = instances.audit_trail(instance_id, caller)   # NotFound, Forbidden: the error pages
    rows = [row.for_download() for row in _trail_rows(case)]
    name = f"case-{instance_id}-audit-trail.{kind}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if kind == "json":
        body = json.dumps({"instance": instance_id, "business_key": case.instance.business_key, "events": rows},
                          ensure_ascii=False, indent=2, default=str)
        return Response(body, mimetype="application/json", headers=headers)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["at", "type", "actor", "element", "step", "data"])
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "data": json.dumps(row["data"], ensure_ascii=False, default=str)})
    return Response(out.getvalue(), mimetype="text/csv", headers=headers)


def _open_task(task: HumanTask, instance: Instance, caller: Caller, names: dict[str, str]) -> OpenTask:
    # A case can be seen through one task; its other tasks may belong to others,
    # and a link to a 403 page helps nobody.
    url = url_for("pages.task", task_id=task.id) if permissions.may_see_task(caller, task, instance) else None
    return OpenTask(task, case_view.waits_for(task, names), url)


def _step_names(events: list[AuditEvent], instance: Instance) -> dict[str, str]:
    """BPMN ids to the names people know the steps by (the step events carry
    them), for incidents and the history."""
    return history.step_names(events, {t.bpmn_id: t.name for t in instance.open_tasks})
