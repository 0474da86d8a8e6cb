"""The task page: a human task's form, instructions and case, and the post
that completes it; claiming and releasing a task.

The form is drawn on the server (``form_fields``) and works without
JavaScript. A post with mistakes comes back (422) with every value as typed
and every message beside its field; the task stays open. After completing,
the person goes straight to their next task in the same case, or else back
to the inbox with a confirmation.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from app.models import HumanTask, Instance
from app.services import instances, people, permissions
from app.services import tasks as task_service
from app.services.errors import Conflict, Forbidden, InvalidData, ServiceError
from app.services.tasks import TaskDetail
from app.services.users import Caller

from . import bp, form_fields, history
from .auth import login_required, safe_next
from .diagrams import markers_for
from .next_step import next_place as _next_place
from .rich_text import instructions_html

HISTORY_SHOWN = 6   # the newest entries beside the form; the instance page has them all


@dataclass(frozen=True)
class Work:
    """What the person may do with the task now, and if nothing, why."""

    can_complete: bool
    can_claim: bool
    can_release: bool
    reason: str | None = None


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: str, caller: Caller):
    detail = task_service.get_task(task_id, caller)   # NotFound, Forbidden: the error pages
    if request.method == "GET":
        return _page(detail, caller)
    # Whether the person may post at all comes before what they posted: an
    # auditor's or a stranger's post gets a 403, not a list of their mistakes.
    if detail.task.state == "open" and not permissions.may_work_on(caller, detail.task):
        raise Forbidden("You may not complete this task.")
    data, errors = form_fields.read_post(detail.form, request.form) if detail.form else ({}, {})
    if errors:
        return _page(detail, caller, posted=request.form, errors=errors), 422
    try:
        instance = task_service.complete(task_id, data, caller)
    except InvalidData as refused:
        return _page(detail, caller, posted=request.form, errors=refused.fields), 422
    except Conflict as conflict:
        # Someone else completed it, or the case was suspended meanwhile: show
        # the task as it is now, with what the person typed still there.
        return _page(task_service.get_task(task_id, caller), caller, posted=request.form,
                     notice=conflict.message), 409
    flash(f"Task '{detail.task.name}' completed.", "success")
    return redirect(_next_place(instance, caller), code=303)


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
@login_required
def claim_task(task_id: str, caller: Caller):
    return _take_or_leave(task_id, caller, task_service.claim, "success",
                          "You claimed '{}': it waits in your inbox until you complete or release it.")


@bp.route("/tasks/<task_id>/unclaim", methods=["POST"])
@login_required
def unclaim_task(task_id: str, caller: Caller):
    return _take_or_leave(task_id, caller, task_service.unclaim, "info",
                          "You released '{}': others in its group can pick it up now.")


def _take_or_leave(task_id: str, caller: Caller, action, tone: str, message: str):
    """Claim or release, then back to the task page (or to ``next``, so the inbox
    can use these too). Someone else being quicker is a note, not an error page."""
    try:
        changed = action(task_id, caller)
    except Conflict as conflict:
        flash(conflict.message, "warning")
    else:
        flash(message.format(changed.name), tone)
    return redirect(safe_next(request.form.get("next")) or url_for("pages.task", task_id=task_id), code=303)


def _page(detail: TaskDetail, caller: Caller, *, posted: MultiDict | None = None,
          errors: dict[str, list[str]] | None = None, notice: str | None = None):
    task = detail.task
    try:
        instance = instances.get_instance(task.instance_id, caller)
        events = instances.history(task.instance_id, caller)
    except ServiceError:   # may see the task but not its case: show the task alone
        instance, events = None, []
    names = people.display_names([*history.actors(events), task.assignee, task.completed_by,
                                  instance.started_by if instance else None])
    work = _work(task, instance, caller, names)
    fields = form_fields.build_fields(detail.form, detail.data, posted, errors,
                                      detail.known_fields) if detail.form else []
    told = history.tell(events, {t.bpmn_id: t.name for t in (instance.open_tasks if instance else [])}, names)
    return render_template(
        "tasks/task.html", task=task, detail=detail, instance=instance, work=work, fields=fields,
        summary=form_fields.error_summary(fields, errors or {}), notice=notice,
        form_title=_form_title(detail), instructions=instructions_html(detail.instructions, detail.data),
        history=list(reversed(told))[:HISTORY_SHOWN], history_count=len(told), people=names,
        markers=markers_for(instance) if instance else None,
        any_required=any(f.required for f in fields if f.widget not in ("readonly", "hidden")))


def _work(task: HumanTask, instance: Instance | None, caller: Caller, names: dict[str, str]) -> Work:
    may_work = permissions.may_work_on(caller, task)
    if task.state != "open":
        return Work(False, False, False, None)   # the page says who completed it, and when
    if instance is not None and instance.status != "running":
        return Work(False, False, False, f"The case is {instance.status}, so its tasks can't be worked on now.")
    can_release = bool(task.assignee) and (task.assignee == caller.username or permissions.is_admin(caller))
    can_claim = may_work and not task.assignee
    if may_work:
        return Work(True, can_claim, can_release)
    if caller.role == "auditor":
        reason = "Auditors can read every task but work on none."
    elif task.assignee:
        reason = f"{names.get(task.assignee, task.assignee)} has claimed this task; only they can complete it."
    else:
        groups = ", ".join(task.candidate_groups or [])
        reason = (f"This task is for the {groups} group" if len(task.candidate_groups or []) == 1
                  else f"This task is for the groups {groups}" if groups else "This task is for someone else")
        reason += "; you can follow it here."
    return Work(False, False, can_release, reason)


def _form_title(detail: TaskDetail) -> str | None:
    """The form's own title, unless it only repeats the task's name."""
    title = (detail.form.schema.get("title") if detail.form else None) or None
    return None if not title or str(title).strip().lower() == detail.task.name.strip().lower() else str(title)
