"""The Instances page: admins and auditors find cases by process, version,
status, business key, start date and a value in their data; admins act on
one case from its row, or on every case the filter matches as a bulk action
the worker carries out, with a page that shows how far it has come.

Moving cases to another version goes through a dry run first: it lists, for
each case, whether it can move and why not; then only the movable ones move.

Every form is plain HTML (GET for filters and the pages that confirm, POST
for changes); the progress page refreshes itself with htmx while the action
runs, and is a plain page to reload without JavaScript. The services decide
who may do what: auditors read, anyone else gets the 403 page.
"""
from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for

from app.services import bulk_actions, instance_search, permissions
from app.services.errors import Conflict, InvalidData
from app.services.instance_search import InstanceFilter
from app.services.users import Caller

from . import bp
from .auth import login_required, safe_next

MAX_ID = 2147483647
ACTION_WORDS = {"suspend": "Suspend", "resume": "Resume", "terminate": "Terminate",
                "retry": "Retry the failed step of", "migrate": "Move"}
DONE_WORDS = {"suspend": "suspended", "resume": "resumed", "terminate": "terminated",
              "retry": "retried", "migrate": "moved"}


@bp.route("/instances")
@login_required
def instances(caller: Caller):
    found = instance_search.search_form(caller, request.args, instance_search.page_number(request.args.get("page")))
    status = 422 if found.errors else 200
    return render_template("instances_admin/index.html", found=found, form=request.args,
                           may_act=permissions.is_admin(caller), here=request.full_path.rstrip("?")), status


@bp.route("/instances/<int(max=2147483647):instance_id>/act", methods=["POST"])
@login_required
def act_on_instance(instance_id: int, caller: Caller):
    action = request.form.get("action", "")
    try:
        bulk_actions.act_on(instance_id, action, caller, reason=request.form.get("reason"))
    except (Conflict, InvalidData) as refused:
        flash(f"Case {instance_id}: {bulk_actions.refusal_text(refused)}", "warning")
    else:
        flash(f"Case {instance_id} {DONE_WORDS.get(action, 'changed')}.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for("pages.instances"), code=303)


@bp.route("/instances/bulk/new")
@login_required
def bulk_confirm(caller: Caller):
    """What a bulk action will do, before it is asked for: how many cases."""
    return _confirm_page(caller, request.args)


@bp.route("/instances/bulk", methods=["POST"])
@login_required
def start_bulk(caller: Caller):
    filters, errors = _filters(request.form)
    action = request.form.get("action", "")
    if errors:
        return _confirm_page(caller, request.form, status=422)
    ids = _ids(request.form.get("ids")) if "ids" in request.form else None
    try:
        bulk = bulk_actions.start(caller, action, filters, reason=request.form.get("reason"),
                                  version=_number(request.form.get("to_version")), instance_ids=ids)
    except InvalidData as invalid:
        if action == "migrate":
            flash(bulk_actions.refusal_text(invalid), "warning")
            return redirect(url_for("pages.migration_check", **filters.args()), code=303)
        return _confirm_page(caller, request.form, invalid.fields, status=422)
    except Conflict as refused:
        flash(refused.message, "warning")
        return redirect(url_for("pages.instances", **filters.args()), code=303)
    return redirect(url_for("pages.bulk_action", bulk_id=bulk.id), code=303)


@bp.route("/instances/bulk/<int(max=2147483647):bulk_id>")
@login_required
def bulk_action(bulk_id: int, caller: Caller):
    bulk = bulk_actions.get(bulk_id, caller)
    template = "instances_admin/_progress.html" if request.headers.get("HX-Request") else "instances_admin/bulk.html"
    response = make_response(render_template(template, bulk=bulk, words=ACTION_WORDS, done_words=DONE_WORDS))
    response.vary.add("HX-Request")
    return response


@bp.route("/instances/migration")
@login_required
def migration_check(caller: Caller):
    """The dry run: for each case the filter matches (or the one ?instance=),
    whether it can move to ?to_version= and why not."""
    filters, errors = _filters()
    one = _number(request.args.get("instance"))
    version = _number(request.args.get("to_version"))
    if "to_version" not in request.args:       # the case's row links here: the version is chosen first
        permissions.require_admin(caller)
        return render_template("instances_admin/dry_run.html", filters=filters, one=one, checked=None, errors={})
    try:
        if errors:
            raise InvalidData(errors)
        checked = bulk_actions.dry_run(caller, version, filters, instance_id=one)
    except InvalidData as invalid:
        return render_template("instances_admin/dry_run.html", filters=filters, one=one, checked=None,
                               errors=invalid.fields), 422
    return render_template("instances_admin/dry_run.html", filters=filters, one=one, checked=checked, errors={})


@bp.route("/instances/<int(max=2147483647):instance_id>/migrate", methods=["POST"])
@login_required
def migrate_instance(instance_id: int, caller: Caller):
    version = _number(request.form.get("to_version"))
    try:
        bulk_actions.act_on(instance_id, "migrate", caller, version=version)
    except (Conflict, InvalidData) as refused:
        flash(f"Case {instance_id} was not moved: {bulk_actions.refusal_text(refused)}", "warning")
        return redirect(url_for("pages.migration_check", instance=instance_id, to_version=version or ""), code=303)
    flash(f"Case {instance_id} moved to version {version}.", "success")
    return redirect(url_for("pages.instance", instance_id=instance_id), code=303)


def _confirm_page(caller: Caller, form, errors: dict | None = None, status: int = 200):
    """The page that says how many cases a bulk action touches (``count``
    None when the filter or the action is not valid), with its form."""
    permissions.require_admin(caller)
    filters, filter_errors = _filters(form)
    errors = {**filter_errors, **(errors or {})}
    action, count = form.get("action", ""), None
    if not filter_errors:
        try:
            count = bulk_actions.preview(caller, action, filters)
        except InvalidData as invalid:
            errors.update(invalid.fields)
    if count is None:
        status = 422
    return render_template("instances_admin/confirm.html", filters=filters, action=action, count=count,
                           errors=errors, reason=form.get("reason", ""), words=ACTION_WORDS), status


def _filters(form=None) -> tuple[InstanceFilter, dict[str, list[str]]]:
    """The filter in the request's fields, or no filter and what is wrong with it."""
    try:
        return InstanceFilter.from_form(request.args if form is None else form), {}
    except InvalidData as invalid:
        return InstanceFilter(), invalid.fields


def _number(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        return None
    return int(raw) if 0 < int(raw) <= MAX_ID else None


def _ids(raw: str | None) -> list[int]:
    """The case ids a dry run posts: "1,2,3"; anything not an id is dropped."""
    return [n for n in (_number(part) for part in (raw or "").split(",")) if n is not None]
