"""The inbox: the open tasks assigned to the signed-in person ("Assigned to
me") and those they may claim for their groups ("For my groups"), filtered by
process and text, sorted, 50 to a page.

Everything is a link or a GET form, so it works without JavaScript. With it,
htmx asks for the same address every ``BATON_INBOX_REFRESH_SECONDS`` and swaps
in just the list (the view answers an ``HX-Request`` with the partial, the tab
counts riding along out of band), so the person's filters stay as they are.
Claim and Release post to the task page's actions and come back here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, make_response, render_template, request, url_for

from app.services import inbox as inbox_service
from app.services.users import Caller

from . import bp
from .auth import login_required

DEFAULT_REFRESH_SECONDS = 30
PRIORITY_HIGH, PRIORITY_LOW = 75, 25
# Longer than any real page number; longer input is read as "the last page".
MAX_PAGE_DIGITS = 9


@dataclass(frozen=True)
class InboxQuery:
    """The inbox's query string, read leniently: anything unknown is the default."""

    view: str = "mine"
    process: str = ""
    text: str = ""
    sort: str = "due"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "InboxQuery":
        view, sort = args.get("view", ""), args.get("sort", "")
        return cls(view=view if view in inbox_service.VIEWS else "mine",
                   process=args.get("process", "").strip()[:200],
                   text=args.get("q", "").strip()[:inbox_service.MAX_TEXT],
                   sort=sort if sort in inbox_service.SORTS else "due",
                   page=_page_number(args.get("page")))

    def args(self, **changes) -> dict[str, str | int]:
        """The query string for this inbox with ``changes``, defaults left out
        so the addresses stay short."""
        values = {"view": self.view, "process": self.process, "q": self.text, "sort": self.sort,
                  "page": self.page, **changes}
        defaults = {"view": "mine", "process": "", "q": "", "sort": "due", "page": 1}
        return {k: v for k, v in values.items() if v not in (None, defaults[k])}


@bp.route("/inbox")
@login_required
def inbox(caller: Caller):
    asked = InboxQuery.from_args(request.args)
    found = inbox_service.inbox(caller, view=asked.view, process=asked.process or None, text=asked.text or None,
                                sort=asked.sort, page=asked.page)
    # What was applied (an unknown process is dropped, a page past the end is the last).
    shown = InboxQuery(view=found.view, process=found.process or "", text=found.text or "", sort=found.sort,
                       page=found.page)
    context = {
        "inbox": found, "query": shown, "groups": caller.group_names,
        "here": url_for("pages.inbox", **shown.args()),
        "link": lambda **changes: url_for("pages.inbox", **shown.args(**changes)),
        "refresh_seconds": _refresh_seconds(),
        "due_text": lambda due: due_phrase(due, found.as_of),
        "priority_label": priority_label,
    }
    if request.headers.get("HX-Request"):
        response = make_response(render_template("inbox/_list.html", oob_tabs=True, **context))
    else:
        response = make_response(render_template("inbox/index.html", **context))
    # The same address answers with a page or a fragment: caches must tell them apart.
    response.vary.add("HX-Request")
    return response


def _page_number(value: str | None) -> int:
    if not value or not (value.isascii() and value.isdigit()):
        return 1
    return int(value[:MAX_PAGE_DIGITS]) or 1


def _refresh_seconds() -> int:
    """How often the list refreshes itself; a bad setting falls back to the default."""
    try:
        seconds = int(current_app.config.get("BATON_INBOX_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS))
    except (TypeError, ValueError):
        return DEFAULT_REFRESH_SECONDS
    return seconds if seconds > 0 else DEFAULT_REFRESH_SECONDS


def priority_label(priority: int) -> tuple[str, str]:
    """(label, badge class) for a 0-100 priority."""
    if priority >= PRIORITY_HIGH:
        return "High", "badge-warning"
    if priority <= PRIORITY_LOW:
        return "Low", "inbox-priority-low"
    return "Normal", ""


def due_phrase(due: datetime, now: datetime) -> str:
    """"Due in 2 days", "Due in 40 minutes", "Overdue by 3 hours"."""
    seconds = (due - now).total_seconds()
    span = _span(abs(seconds))
    return f"Overdue by {span}" if seconds < 0 else f"Due in {span}"


def _span(seconds: float) -> str:
    """The length of ``seconds`` in the largest unit that reads well: minutes
    below an hour, hours below a day (rounded: 23 h 58 min is "1 day")."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return _count(minutes, "minute")
    hours = int(seconds / 3600 + 0.5)
    if hours < 24:
        return _count(hours, "hour")
    return _count(int(seconds / 86400 + 0.5), "day")


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"
