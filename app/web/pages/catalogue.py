"""The service catalogue: what a person can ask for, grouped by category, and
the start page of each service, whose form starts a new case.

Both work without JavaScript: the text filter is a GET form (``?q=``), and
the start form is drawn and read back by the task page's machinery
(``form_fields``), so a post with mistakes comes back (422) with every value
as typed and every message beside its field, and nothing is started. After
starting, the person goes to their first task in the new case, if it has one
for them, or else to the case's page.
"""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from app.services import catalogue as catalogue_service
from app.services import instances
from app.services.catalogue import StartForm
from app.services.errors import Forbidden, InvalidData
from app.services.users import Caller

from . import bp, form_fields, next_step
from .auth import login_required

SEARCH_LIMIT = 200   # characters of ?q= looked at; a longer one is no search anyone typed


@bp.route("/catalogue")
@login_required
def catalogue(caller: Caller):
    search = " ".join(request.args.get("q", "")[:SEARCH_LIMIT].split())
    return render_template("catalogue/index.html", catalogue=catalogue_service.services_for(caller, search),
                           search=search)


@bp.route("/catalogue/<key>", methods=["GET", "POST"])
@login_required
def start_service(key: str, caller: Caller):
    offer = catalogue_service.start_form_for(key, caller)   # NotFound: the 404 page
    if request.method == "GET":
        return _page(offer)
    # Whether the person may start it at all comes before what they posted: an
    # auditor's post gets a 403, not a list of their mistakes.
    if not offer.may_start:
        raise Forbidden(offer.refusal)
    data, errors = form_fields.read_post(offer.form, request.form) if offer.form else ({}, {})
    if errors:
        return _page(offer, posted=request.form, errors=errors), 422
    try:
        # The version whose form was just checked, even if a newer one was deployed meanwhile.
        instance = instances.start_instance(offer.key, caller, data=data, version=offer.version)
    except InvalidData as refused:
        return _page(offer, posted=request.form, errors=refused.fields), 422
    task = next_step.first_task(instance, caller)
    if task is not None:
        flash(f"Your request '{offer.name}' has started. Its next step is yours: '{task.name}'.", "success")
        return redirect(url_for("pages.task", task_id=task.id), code=303)
    flash(f"Your request '{offer.name}' has started. It now waits for the people who handle it.", "success")
    return redirect(next_step.case_page(instance), code=303)


def _page(offer: StartForm, *, posted: MultiDict | None = None, errors: dict[str, list[str]] | None = None):
    fields = form_fields.build_fields(offer.form, {}, posted, errors) if offer.form else []
    return render_template(
        "catalogue/start.html", offer=offer, fields=fields, paragraphs=paragraphs(offer.description),
        summary=form_fields.error_summary(fields, errors or {}), form_title=_form_title(offer),
        any_required=any(f.required for f in fields if f.widget not in ("readonly", "hidden")))


def paragraphs(text: str) -> list[str]:
    """Plain-text paragraphs: split at blank lines, each one's lines joined (a
    documentation text is wrapped as its XML file was indented)."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def _form_title(offer: StartForm) -> str | None:
    """The form's own title, unless it only repeats the service's name."""
    title = str((offer.form.schema.get("title") if offer.form else None) or "").strip()
    return title if title and title.casefold() != offer.name.strip().casefold() else None
