"""Every refusal of the API as one JSON shape: ``{"error": code, "message": ..., details}``.

Service errors map to their status codes; HTTP errors raised by Flask,
Werkzeug and webargs (unknown route, wrong method, body too large,
malformed JSON, invalid arguments) are rewritten into the same shape, so a
client handles one format. A 500 carries no traceback: Flask logs it.
"""
from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from app.services.errors import (Conflict, Forbidden, InvalidData, InvalidDeployment, NotFound, ServiceError,
                                 Unauthorized)

API_PREFIX = "/api/"

SERVICE_STATUS = {
    NotFound: 404,
    Forbidden: 403,
    Unauthorized: 401,
    Conflict: 409,
    InvalidData: 422,
    InvalidDeployment: 422,
}

# Codes for HTTP errors that do not come from a service.
HTTP_CODES = {
    400: ("malformed", "The request could not be understood."),
    401: ("unauthorized", "An API token is required."),
    403: ("forbidden", "You may not do this."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    409: ("conflict", "Not in a state that allows this."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "The request body's type is not accepted."),
    422: ("invalid_data", "The request is not valid."),
    500: ("internal_error", "Something went wrong on our side; the error has been logged."),
}


def error_response(http_status: int, code: str, message: str, headers: dict | None = None,
                   details: dict | None = None) -> Response:
    extra = {k: v for k, v in (details or {}).items() if k not in ("error", "message")}
    response = jsonify({"error": code, "message": message, **extra})
    response.status_code = http_status
    if headers:
        response.headers.update(headers)
    return response


def service_error_response(error: ServiceError) -> Response:
    status = next((s for cls, s in SERVICE_STATUS.items() if isinstance(error, cls)), 400)
    headers = {"WWW-Authenticate": 'Bearer realm="baton"'} if status == 401 else None
    return error_response(status, error.code, error.message, headers, error.details)


def http_error_response(error: HTTPException):
    """The JSON form of an HTTP error on API paths; other paths keep Flask's page."""
    if not request.path.startswith(API_PREFIX):
        return error
    status = error.code or 500
    code, default_message = HTTP_CODES.get(status, (_snake(error.name), error.description or error.name))
    data = getattr(error, "data", None) or {}  # set by webargs' abort
    message = data.get("message") or default_message
    headers = dict(data.get("headers") or {})
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    if status == 422:
        return error_response(status, code, message, headers, {"fields": _field_messages(data.get("messages"))})
    if status == 400 and "message" not in data and error.description and _is_werkzeug_text(error):
        message = error.description
    return error_response(status, code, message, headers)


def _field_messages(messages) -> dict:
    """webargs nests messages by location ({"json": {...}, "query": {...}}); clients want fields."""
    fields: dict = {}
    for location_messages in (messages or {}).values():
        if isinstance(location_messages, dict):
            for name, value in location_messages.items():
                fields["_body" if name == "_schema" else name] = value
        else:
            fields.setdefault("_body", []).extend(location_messages)
    return fields


def _is_werkzeug_text(error: HTTPException) -> bool:
    # Werkzeug's own generic description says nothing useful; a specific one does.
    return error.description != type(error).description


def _snake(name: str) -> str:
    return name.lower().replace(" ", "_").replace("-", "_")


def register_error_handlers(app: Flask) -> None:
    """Service errors become JSON wherever an API view raises them; other paths
    (HTML pages) handle their own."""

    def on_service_error(error: ServiceError):
        if not request.path.startswith(API_PREFIX):
            raise error
        return service_error_response(error)

    app.register_error_handler(ServiceError, on_service_error)
