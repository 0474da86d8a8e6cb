"""Messages: what processes told the signed-in person (the ``notify`` hook's
outbox), newest first, 50 to a page (``?page=2``), each unread one with a
button that marks it read."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for

from app.services import outbox
from app.services.users import Caller

from . import bp
from .auth import login_required
from .my_requests import _page_number


@bp.route("/messages")
@login_required
def messages(caller: Caller):
    found = outbox.my_messages(caller, _page_number(request.args.get("page")))
    return render_template("messages/index.html", found=found)


@bp.route("/messages/<int(min=1, max=2147483647):message_id>/read", methods=["POST"])
@login_required
def mark_message_read(message_id: int, caller: Caller):
    outbox.mark_read(message_id, caller)   # NotFound, Forbidden: the error pages
    # Back to the page the button was on, at the message.
    page = _page_number(request.form.get("page"))
    target = url_for("pages.messages", page=page) if page > 1 else url_for("pages.messages")
    return redirect(f"{target}#message-{message_id}", 303)
