"""Where a person goes after they moved a case on: straight to their next task
in it when there is one, so a case that is theirs for several steps reads as
one flow; else somewhere that fits what they just did.

Used by the task page (after completing a task) and the catalogue (after
starting a request).
"""
from __future__ import annotations

from flask import url_for

from app.models import HumanTask, Instance
from app.services import permissions
from app.services import tasks as task_service
from app.services.users import Caller


def first_task(instance: Instance, caller: Caller) -> HumanTask | None:
    """The person's next task in the case: theirs first, then one they may pick up."""
    for scope in ("mine", "candidate"):
        for found in task_service.list_tasks(caller, scope=scope, instance_id=instance.id):
            if permissions.may_work_on(caller, found):
                return found
    return None


def next_place(instance: Instance, caller: Caller) -> str:
    """After completing a task: the next task in the same case, else the inbox."""
    found = first_task(instance, caller)
    if found is not None:
        return url_for("pages.task", task_id=found.id)
    return url_for("pages.inbox")


def case_page(instance: Instance) -> str:
    return url_for("pages.instance", instance_id=instance.id)
