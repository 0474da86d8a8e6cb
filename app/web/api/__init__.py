"""The JSON API under ``/api/v1``, described by OpenAPI 3 at ``/api/v1/openapi.json``.

One flask-smorest ``Api`` per Flask app (tests make many apps); the
blueprints are module-level and register on each.
"""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from . import definitions, deployments, incidents, instances, messages, meta, tasks
from .blueprints import PREFIX
from .errors import http_error_response, register_error_handlers
from .schemas import ErrorSchema

BLUEPRINTS = (meta.blp, deployments.blp, definitions.blp, instances.blp, tasks.blp, incidents.blp, messages.blp)

API_CONFIG = {
    "API_TITLE": "Baton",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": PREFIX,
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {"description": "BPMN 2.0 processes: deploy definitions, start instances, work on human tasks. "
                                "Every call but /health takes 'Authorization: Bearer TOKEN'. Errors are "
                                "{\"error\": code, \"message\": text, ...details}."},
        "security": [{"bearerAuth": []}],
    },
}


class BatonApi(Api):
    # Documents, and handle_http_exception renders, the API's one error shape.
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return http_error_response(error)


def init_api(app: Flask) -> BatonApi:
    for name, value in API_CONFIG.items():
        app.config.setdefault(name, value)
    api = BatonApi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "a token from `baton user token`"})
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    register_error_handlers(app)
    return api
