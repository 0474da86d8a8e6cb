"""My requests: the cases the signed-in person started, newest first, with
how far each has come and who it waits for, 50 to a page (``?page=2``)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request

from app.models import Instance
from app.services import instances, people
from app.services.case_progress import Progress
from app.services.users import Caller

from . import bp, case_view
from .auth import login_required

PAGE_SIZE = 50
# Beyond this a page number is nonsense; it is read as "past the end", not
# handed to the database as an offset too big for it.
LAST_PAGE_NUMBER = 100_000


@dataclass(frozen=True)
class RequestRow:
    instance: Instance
    progress: Progress
    done: str            # "3 steps done"
    now: list[str]       # what it waits for, or how it ended


@dataclass(frozen=True)
class Paging:
    page: int
    pages: int          # at least 1, so an empty list is "page 1 of 1"


@bp.route("/requests")
@login_required
def my_requests(caller: Caller):
    page = _page_number(request.args.get("page"))
    started = instances.started_by(caller, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    names = people.display_names(case_view.people_named_in(
        [t for case in started.cases for t in case.progress.waiting_on]))
    rows = [RequestRow(case.instance, case.progress, case_view.steps_done(case.progress),
                       case_view.where_it_stands(case.instance, case.progress, names)) for case in started.cases]
    paging = Paging(page, max(1, -(-started.total // PAGE_SIZE)))
    return render_template("requests/index.html", rows=rows, total=started.total, paging=paging)


def _page_number(value: str | None) -> int:
    """``?page=`` as a number from 1; anything else is the first page."""
    if not value or not (value.isascii() and value.isdigit()):
        return 1
    if len(value) > len(str(LAST_PAGE_NUMBER)):
        return LAST_PAGE_NUMBER
    return min(max(int(value), 1), LAST_PAGE_NUMBER)
