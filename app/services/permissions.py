"""Who may do what.

Roles: ``user`` starts processes and works the tasks meant for them; ``owner``
also deploys; ``auditor`` reads everything and changes nothing; ``admin`` may
do everything. A human task belongs to its assignee if it has one, otherwise
to its candidate users and groups (from ``camunda:candidateGroups`` /
``candidateUsers``, else the lane's name); a task with no rule at all belongs
to the person who started the instance. Those rules are resolved when the
task opens and stored on its index row, so every check here is a lookup.
"""
from __future__ import annotations

from app.models import HumanTask, Instance, User

from .errors import Forbidden


def is_admin(user: User) -> bool:
    return user.role == "admin"


def reads_everything(user: User) -> bool:
    return user.role in ("admin", "auditor")


def require_change_rights(user: User) -> None:
    if user.role == "auditor":
        raise Forbidden("Auditors can read everything and change nothing.")


def start_refusal(user: User, starters: dict | None) -> str | None:
    """Why this person may not start a process by hand, or None if they may.
    ``starters``: the process's candidate starter groups and users (None: anyone)."""
    if user.role == "auditor":
        return "Auditors can read every service and its form, but start nothing."
    if not starters or is_admin(user):
        return None
    groups, users = starters.get("groups") or [], starters.get("users") or []
    if user.username in users or set(user.group_names) & set(groups):
        return None
    who = [f"the {group} group" for group in groups] + list(users)
    return f"Only {' or '.join(who)} may start this."


def require_may_start(user: User, starters: dict | None) -> None:
    refusal = start_refusal(user, starters)
    if refusal:
        raise Forbidden(refusal)


def may_deploy(user: User) -> bool:
    return user.role in ("owner", "admin")


def require_deploy_rights(user: User) -> None:
    if not may_deploy(user):
        raise Forbidden("Only process owners and admins may deploy.")


def require_admin(user: User) -> None:
    if not is_admin(user):
        raise Forbidden("Only admins may do this.")


def is_candidate(user: User, task: HumanTask) -> bool:
    return user.username in (task.candidate_users or []) or \
        bool(set(user.group_names) & set(task.candidate_groups or []))


def may_work_on(user: User, task: HumanTask) -> bool:
    """May this person claim or complete the task?"""
    if user.role == "auditor":
        return False
    if is_admin(user):
        return True
    if task.assignee:
        return task.assignee == user.username
    return is_candidate(user, task)


def may_see_task(user: User, task: HumanTask, instance: Instance) -> bool:
    return reads_everything(user) or task.assignee == user.username or is_candidate(user, task) \
        or task.completed_by == user.username or instance.started_by == user.username


def may_see_instance(user: User, instance: Instance) -> bool:
    """Without a query: admins, auditors and the starter. People who hold or may
    claim one of its tasks see it too (``instances.get_instance`` asks that)."""
    return reads_everything(user) or instance.started_by == user.username
