"""The Deployments page: process owners and admins upload BPMN, DMN and form
files (or one zip of them), read every problem with them or what deploying
them would do, and then deploy.

Between the check and the deploy the files travel in hidden form fields (name
and base64 content), so no table holds uploads nobody deployed. The deploy
checks them all again: nothing is trusted from those fields.
"""
from __future__ import annotations

import base64
import binascii
import io

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import BuildError

from app.engine.problems import Problem
from app.services import deployments, permissions
from app.services.deployments import DeployResult
from app.services.errors import Forbidden, InvalidDeployment
from app.services.users import Caller

from ..api.uploads import bundle_from_uploads
from . import bp
from .auth import current_caller, login_required
from .errors import on_http_error

ENDPOINTS = ("pages.check_deployment", "pages.deploy")
MIB = 1024 * 1024
# Where a deployment came from (Deployment.source), as the recent list says it.
SOURCES = {"web": "this page", "api": "the API", "cli": "baton deploy", "modeller": "the modeller"}


@bp.route("/deployments", endpoint="deployments")
@login_required
def deployments_index(caller: Caller):
    return render_template("deployments/index.html", recent=deployments.recent(caller), doc_url=doc_url,
                           sources=SOURCES)


@bp.route("/deployments/check", methods=["POST"], endpoint="check_deployment")
@login_required
def check_deployment(caller: Caller):
    # Refused before unpacking: unzipping someone's archive is work only a deployer may cause.
    permissions.require_deploy_rights(caller)
    try:
        files = bundle_from_uploads((f.filename, f.stream) for _, f in request.files.items(multi=True)
                                    if f.filename)
    except InvalidDeployment as refused:
        return problems_page(refused.problems)
    report = deployments.check(files, caller)
    problems = report.problems or _too_big_to_carry(files)
    if problems:
        return problems_page(problems)
    return render_template("deployments/plan.html", plan=report.plan, files=_carried(files),
                           anything_new=any(d.new for d in report.plan))


@bp.route("/deployments", methods=["POST"], endpoint="deploy")
@login_required
def deploy(caller: Caller):
    permissions.require_deploy_rights(caller)
    try:
        result = deployments.deploy(_files_carried_back(), caller, source="web")
    except InvalidDeployment as refused:
        return problems_page(refused.problems)
    flash(deployed_summary(result), "success" if result.deployment_id else "info")
    return redirect(url_for("pages.deployments"), code=303)


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge):
    """A body past MAX_CONTENT_LENGTH is refused before any view runs (while the
    CSRF token is read): on this page it gets the report, for those who may deploy."""
    caller = current_caller()
    if request.endpoint not in ENDPOINTS or caller is None:
        return on_http_error(error)
    try:
        permissions.require_deploy_rights(caller)
    except Forbidden:
        return on_http_error(error)
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return problems_page([Problem("-", None, None, f"the upload is too large (at most {_size(limit)} in all): "
                                                   "send fewer or smaller files")])


def problems_page(problems: list[Problem]):
    return render_template("deployments/problems.html", problems=problems), 422


def deployed_summary(result: DeployResult) -> str:
    """E.g. "Deployed incident v3; change-request unchanged (v2)"."""
    new = [f"{d.key} v{d.version}" for d in result.definitions if d.new]
    kept = [f"{d.key} unchanged (v{d.version})" for d in result.definitions if not d.new]
    return "; ".join([f"Deployed {', '.join(new)}" if new else "Nothing new to deploy", *kept])


def doc_url(key: str, version: int) -> str:
    """A version's documentation page (another area; a plain path until it exists)."""
    try:
        return url_for("pages.process_doc", key=key, version=version)
    except BuildError:
        return f"/processes/{key}/versions/{version}"


def _size(size: int) -> str:
    return f"{size / MIB:.3g} MiB" if size >= MIB else f"{size // 1024} KiB"


def _carried(files: dict[str, bytes]) -> list[tuple[str, str]]:
    return [(name, base64.b64encode(content).decode("ascii")) for name, content in sorted(files.items())]


def _too_big_to_carry(files: dict[str, bytes]) -> list[Problem]:
    """A hidden field is bounded (MAX_FORM_MEMORY_SIZE): a file past it could be
    checked but not deployed from the page, so it is refused here already."""
    limit = request.max_form_memory_size
    if limit is None:
        return []
    return [Problem(name, None, None, f"too large to deploy from this page (over {_size(limit * 3 // 4)}): "
                                      "deploy it with `baton deploy` or the API")
            for name, content in files.items() if 4 * -(-len(content) // 3) > limit]


def _files_carried_back() -> dict[str, bytes]:
    """The hidden fields of the plan page as a bundle, through the same checks as an upload."""
    names, contents = request.form.getlist("name"), request.form.getlist("content")
    if len(names) != len(contents):
        raise InvalidDeployment([Problem("-", None, None, "the files came back incomplete: upload them again")])
    uploads, problems = [], []
    for name, content in zip(names, contents):
        try:
            uploads.append((name, io.BytesIO(base64.b64decode(content, validate=True))))
        except (binascii.Error, ValueError):
            problems.append(Problem(name, None, None, "its content came back damaged: upload the files again"))
    if problems:
        raise InvalidDeployment(problems)
    return bundle_from_uploads(uploads)
