"""The browser modeller (owners and admins): choose a deployed version, a
shipped template or a blank diagram, edit it with the bpmn-js Modeler,
validate it and deploy it as a new version, all on one page.

``/modeller/edit`` draws the page; ``static/js/modeller.js`` loads the XML from
``/modeller/source`` and posts the edited XML as JSON to ``/modeller/validate``
and ``/modeller/deploy`` (the CSRF token in the X-CSRFToken header, like
htmx's requests). Those two answer JSON only, errors included.
"""
from __future__ import annotations

from flask import Response, jsonify, redirect, render_template, request, url_for

from app.services import modeller
from app.services.errors import InvalidDeployment, ServiceError
from app.services.users import Caller

from ..api.errors import error_response, service_error_response
from . import bp
from .auth import login_required
from .template_helpers import url_if_exists

# Far more than any hand-drawn process (the shipped ones are under 100 kB).
MAX_XML_BYTES = 2 * 1024 * 1024


class BadRequest(ServiceError):
    """A query or body the modeller cannot use; ``message`` says what to change.
    (A ServiceError, so a page view raising it gets the 400 error page.)"""

    code = "bad_request"

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _where_from(values) -> dict:
    """key + version, template, or neither (blank), from query arguments or a JSON body."""
    key, template, version = values.get("key"), values.get("template"), values.get("version")
    for name, value in (("key", key), ("template", template)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise BadRequest(f"'{name}' must be a non-empty text")
    if isinstance(version, str) and version.strip().isdigit() and len(version.strip()) < 10:
        version = int(version)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        raise BadRequest("'version' must be a version number (1, 2, ...)")
    return {"key": key, "version": version, "template": template}


def _query_where() -> dict:
    return _where_from({k: request.args.get(k) for k in ("key", "version", "template")})


@bp.route("/modeller", endpoint="modeller")
@login_required
def modeller_start(caller: Caller):
    return render_template("modeller/index.html", sources=modeller.sources(caller))


@bp.route("/modeller/edit")
@login_required
def modeller_edit(caller: Caller):
    where = _query_where()
    if where["key"] is None and where["template"] is None and request.args.get("blank") != "1":
        return redirect(url_for("pages.modeller"))
    _, origin = modeller.open_source(caller, **where)
    source = url_for("pages.modeller_source", **{k: v for k, v in where.items() if v is not None})
    return render_template("modeller/edit.html", origin=origin, source_url=source)


@bp.route("/modeller/source")
@login_required
def modeller_source(caller: Caller):
    xml, origin = modeller.open_source(caller, **_query_where())
    response = Response(xml, mimetype="application/xml")
    name = origin.key or origin.template or "new-process"
    response.headers["Content-Disposition"] = f'inline; filename="{_plain(name)}.bpmn"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _plain(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _edit_request() -> dict:
    """The JSON body: {"xml": ..., "key"?, "version"?, "template"?}."""
    if (request.content_length or 0) > MAX_XML_BYTES + 4096:
        raise BadRequest(f"the diagram is too large: at most {MAX_XML_BYTES // 1024} kB", 413)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest('send a JSON object: {"xml": "<the BPMN XML>", "key": ..., "version": ...}')
    xml = body.get("xml")
    if not isinstance(xml, str) or not xml.strip():
        raise BadRequest("'xml' is missing: send the diagram's BPMN XML as text")
    if len(xml.encode("utf-8")) > MAX_XML_BYTES:
        raise BadRequest(f"the diagram is too large: at most {MAX_XML_BYTES // 1024} kB", 413)
    return {"xml_text": xml, **_where_from(body)}


def _json_answer(use_case):
    """Runs ``use_case(arguments)`` on the request's JSON body; refusals as JSON."""
    try:
        return use_case(_edit_request())
    except BadRequest as exc:
        return error_response(exc.status, "bad_request", exc.message)
    except InvalidDeployment as exc:
        return jsonify({"error": exc.code, "message": exc.message, "problems": _problems(exc.problems)}), 422
    except ServiceError as exc:
        return service_error_response(exc)


def _problems(problems) -> list[dict]:
    return [p.to_dict() for p in problems]


@bp.route("/modeller/validate", methods=["POST"])
@login_required
def modeller_validate(caller: Caller):
    return _json_answer(lambda args: jsonify({"problems": _problems(modeller.check(caller, **args))}))


@bp.route("/modeller/deploy", methods=["POST"])
@login_required
def modeller_deploy(caller: Caller):
    def deploy(args):
        result = modeller.deploy(caller, **args)
        return jsonify({"deployment_id": result.deployment_id, "definitions": [
            {"key": d.key, "name": d.name, "version": d.version, "new": d.new,
             "url": url_if_exists("pages.process_doc", key=d.key, version=d.version),
             "edit_url": url_for("pages.modeller_edit", key=d.key, version=d.version)}
            for d in result.definitions]})
    return _json_answer(deploy)
