"""The blueprint every API area is made of: token-protected unless public, with
the strict JSON body parser and a helper to document error responses."""
from __future__ import annotations

from http import HTTPStatus

import flask_smorest
from flask import request

from .auth import authenticate
from .errors import error_response
from .parsing import StrictJsonParser

PREFIX = "/api/v1"


def _refuse_nul_in_path():
    # A NUL in a path segment (``%00``) reaches the database as a query
    # parameter, which PostgreSQL refuses with an error; nothing can live there.
    if "\x00" in request.path:
        return error_response(404, "not_found", "There is nothing at this address.")
    return None


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictJsonParser()

    def __init__(self, name: str, import_name: str, *, description: str, public: bool = False):
        super().__init__(name, import_name, url_prefix=PREFIX, description=description)
        self.before_request(_refuse_nul_in_path)
        if not public:
            self.before_request(authenticate)

    def arguments(self, schema, *args, **kwargs):
        # Given a schema class, webargs builds an instance on every request,
        # which costs more than parsing a small body with it; one is enough.
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)

    def errors(self, *codes: int):
        """Document the error responses a view may give (all in the API's error shape)."""
        def decorator(func):
            for code in reversed(codes):
                func = self.alt_response(code, response=HTTPStatus(code).name)(func)
            return func
        return decorator
