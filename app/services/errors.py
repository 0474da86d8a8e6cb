"""What a use case can refuse, independent of HTTP. The web layer maps each to
its status code (see ``app.web.api.errors``)."""
from __future__ import annotations

from app.engine.problems import Problem


class ServiceError(Exception):
    code = "error"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(ServiceError):
    code = "not_found"


class Forbidden(ServiceError):
    code = "forbidden"


class Unauthorized(ServiceError):
    code = "unauthorized"


class Conflict(ServiceError):
    """The thing exists but is not in a state that allows this."""

    code = "conflict"


class InvalidData(ServiceError):
    """Submitted data that a form or rule refuses; ``fields`` maps each field to its messages."""

    code = "invalid_data"

    def __init__(self, fields: dict[str, list[str]], message: str = "The data is not valid."):
        super().__init__(message, fields=fields)
        self.fields = fields


class InvalidDeployment(ServiceError):
    code = "invalid_deployment"

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) found; nothing was deployed.",
                         problems=[p.to_dict() for p in problems])
        self.problems = problems
