"""The instance page: one case read in full. Where it stands (status, the
diagram with the steps done, waiting and failed and the way taken), who its
open tasks wait for, what went wrong, its data, and its whole history.

Read-only. Whoever may see the case (its starter, people who hold or may
pick up one of its tasks, auditors, admins) may open it; anybody else gets
the 403 page, from the service's Forbidden.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, url_for

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


def _open_task(task: HumanTask, instance: Instance, caller: Caller, names: dict[str, str]) -> OpenTask:
    # A case can be seen through one task; its other tasks may belong to others,
    # and a link to a 403 page helps nobody.
    url = url_for("pages.task", task_id=task.id) if permissions.may_see_task(caller, task, instance) else None
    return OpenTask(task, case_view.waits_for(task, names), url)


def _step_names(events: list[AuditEvent], instance: Instance) -> dict[str, str]:
    """BPMN ids to the names people know the steps by (the step events carry
    them), for incidents and the history."""
    return history.step_names(events, {t.bpmn_id: t.name for t in instance.open_tasks})
