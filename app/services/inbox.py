"""The inbox page: a person's open tasks in two views, filtered, sorted and paged.

"Assigned to me" holds the open tasks assigned to the caller; "For my groups"
the open, unassigned tasks the caller may claim (``queries.claimable_task_ids``,
the one definition of that). Both read the task index only, never a workflow,
and in a fixed number of statements whatever the page shows:

1. the open tasks per view and process, grouped: the tab counts, the
   processes for the filter and the total under a process filter in one go;
2. the latest name of each of those processes;
3. the page of rows, joined to their instance (business key) and definition
   version (process name);
4. only when searching for text: how many tasks of the view match.

The group view starts from the caller's rows in the task_candidate indexes,
so its cost follows how many tasks the caller's groups have open rather than
how many are open in all; ``_in_view`` and ``_filters`` say what keeps the
query planners on that path.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.models import DefinitionVersion, HumanTask, Instance, db

from . import queries
from .context import now

VIEWS = ("mine", "group")
SORTS = ("due", "priority", "created")
PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_TEXT = 200   # longer searches are cut: nothing in a task's name, process or key is longer

# Every order ends in created_at, id, so a page never shows a task twice or skips one.
_TIEBREAK = (HumanTask.created_at.asc(), HumanTask.id.asc())
_SOONEST_DUE = HumanTask.due_at.asc().nulls_last()   # tasks without a due date come last
_ORDERS = {
    "due": (_SOONEST_DUE, *_TIEBREAK),
    "priority": (HumanTask.priority.desc(), _SOONEST_DUE, *_TIEBREAK),
    "created": _TIEBREAK,
}


@dataclass(frozen=True)
class InboxRow:
    task_id: str
    task_name: str
    process_key: str
    process_name: str
    instance_id: int
    business_key: str | None
    assignee: str | None
    candidate_groups: tuple[str, ...]
    priority: int
    due_at: datetime | None
    created_at: datetime
    overdue: bool


@dataclass(frozen=True)
class ProcessChoice:
    key: str
    name: str


@dataclass(frozen=True)
class Inbox:
    view: str
    rows: list[InboxRow]
    total: int                   # tasks in the view after the filters
    counts: dict[str, int]       # tasks per view, before the filters
    processes: list[ProcessChoice]   # processes with open tasks the caller sees, by name
    process: str | None          # the filters and order as applied (bad values dropped)
    text: str | None
    sort: str
    page: int
    per_page: int
    as_of: datetime              # the clock's "now" the overdue flags were judged by

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def filtered(self) -> bool:
        return bool(self.process or self.text)


def inbox(caller, view: str = "mine", process: str | None = None, text: str | None = None,
          sort: str = "due", page: int = 1, per_page: int = PER_PAGE) -> Inbox:
    """One page of the caller's inbox. Unknown views, sorts and processes fall
    back to the defaults; a page past the end shows the last page."""
    view = view if view in VIEWS else "mine"
    sort = sort if sort in SORTS else "due"
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    text = (text or "").strip()[:MAX_TEXT] or None
    at = now()

    per_process = _open_tasks_per_process(caller)
    counts = {v: sum(n for (in_view, _key), n in per_process.items() if in_view == v) for v in VIEWS}
    keys = {key for _view, key in per_process}
    processes = _latest_names(keys | ({process} if process else set()))
    if process not in processes:
        process = None   # no such process: no filter, rather than an inbox that is empty for no reason
    choices = sorted((ProcessChoice(k, n) for k, n in processes.items() if k in keys or k == process),
                     key=lambda choice: (choice.name.lower(), choice.key))

    filters = _filters(process, text)
    if text:
        total = _count(caller, view, filters)
    else:   # known already: the grouped counts
        total = per_process.get((view, process), 0) if process else counts[view]
    pages = max(1, math.ceil(total / per_page))
    page = min(max(int(page), 1), pages)
    rows = _rows(caller, view, filters, sort, per_page, (page - 1) * per_page, at) if total else []
    return Inbox(view=view, rows=rows, total=total, counts=counts, processes=choices, process=process,
                 text=text, sort=sort, page=page, per_page=per_page, as_of=at)


def _in_view(caller, view: str):
    if view == "mine":
        return sa.and_(HumanTask.state == "open", HumanTask.assignee == caller.username)
    return sa.and_(HumanTask.state == "open", _unassigned(),
                   HumanTask.id.in_(queries.claimable_task_ids(caller)))


def _unassigned():
    """``assignee IS NULL``; on SQLite written so that no index can serve it.
    SQLite, which has no statistics unless someone runs ANALYZE, would walk
    every unassigned task of everybody through ix_human_task_assignee_state
    and probe the caller's candidates for each, instead of starting from those
    candidates (100,000 open tasks: 113 ms against 20 for a count).
    PostgreSQL plans well with the plain test and misjudges the disguised one."""
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.coalesce(HumanTask.assignee, "") == ""
    return HumanTask.assignee.is_(None)


def _open_tasks_per_process(caller) -> dict[tuple[str, str], int]:
    """{(view, process key): open tasks}: the tab counts, the processes for the
    filter and the total of a process filter, in one grouped statement."""
    per_view = sa.union_all(*(
        sa.select(sa.literal(view, sa.String).label("view"), HumanTask.definition_key.label("key"))
        .where(_in_view(caller, view)) for view in VIEWS)).subquery()
    grouped = sa.select(per_view.c.view, per_view.c.key, sa.func.count().label("n")) \
        .group_by(per_view.c.view, per_view.c.key)
    return {(row.view, row.key): row.n for row in db.session.execute(grouped)}


def _latest_names(keys: set[str]) -> dict[str, str]:
    """{key: name of its latest version} for the keys that are deployed."""
    if not keys:
        return {}
    latest = (sa.select(DefinitionVersion.key, sa.func.max(DefinitionVersion.version).label("version"))
              .where(DefinitionVersion.key.in_(keys)).group_by(DefinitionVersion.key).subquery())
    found = db.session.execute(
        sa.select(DefinitionVersion.key, DefinitionVersion.name)
        .join(latest, sa.and_(DefinitionVersion.key == latest.c.key, DefinitionVersion.version == latest.c.version)))
    return {row.key: row.name or row.key for row in found}


def _filters(process: str | None, text: str | None) -> list:
    found = []
    if process:
        found.append(HumanTask.definition_key == process)
    if text:
        # The business key is looked up per task, by the instance's primary key:
        # a join (or an IN over matching instances) lets PostgreSQL read every
        # instance ever started before it looks at the caller's few tasks.
        # Process names come from the small definition table. Aliases keep the
        # row query's own join to both tables out of these subqueries.
        pattern = f"%{escape_like(text)}%"
        named, case = aliased(DefinitionVersion), aliased(Instance)
        business_key = sa.select(case.business_key).where(case.id == HumanTask.instance_id).scalar_subquery()
        found.append(sa.or_(
            HumanTask.name.ilike(pattern, escape="\\"),
            HumanTask.definition_key.in_(sa.select(named.key).where(named.name.ilike(pattern, escape="\\"))),
            business_key.ilike(pattern, escape="\\")))
    return found


def escape_like(text: str) -> str:
    """``text`` matched literally by LIKE: its wildcards and the escape character escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _joined(statement):
    """Each task with its instance (business key) and definition version (process name)."""
    return (statement.join(Instance, Instance.id == HumanTask.instance_id)
            .join(DefinitionVersion, DefinitionVersion.id == Instance.definition_version_id))


def _count(caller, view: str, filters: list) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(HumanTask).where(_in_view(caller, view), *filters))


def _rows(caller, view: str, filters: list, sort: str, limit: int, offset: int, at: datetime) -> list[InboxRow]:
    statement = _joined(sa.select(
        HumanTask.id, HumanTask.name, HumanTask.definition_key, DefinitionVersion.name.label("process_name"),
        HumanTask.instance_id, Instance.business_key, HumanTask.assignee, HumanTask.candidate_groups,
        HumanTask.priority, HumanTask.due_at, HumanTask.created_at))
    statement = statement.where(_in_view(caller, view), *filters).order_by(*_ORDERS[sort])
    return [InboxRow(task_id=r.id, task_name=r.name, process_key=r.definition_key,
                     process_name=r.process_name or r.definition_key, instance_id=r.instance_id,
                     business_key=r.business_key, assignee=r.assignee,
                     candidate_groups=tuple(r.candidate_groups or ()), priority=r.priority,
                     due_at=r.due_at, created_at=r.created_at, overdue=r.due_at is not None and r.due_at < at)
            for r in db.session.execute(statement.limit(limit).offset(offset))]
