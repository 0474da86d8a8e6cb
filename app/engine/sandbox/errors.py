"""What the sandbox raises: to its callers, and inside a running script."""
from __future__ import annotations


class ScriptError(Exception):
    """A script or expression failed: refused, too slow, or raised."""

    def __init__(self, message: str, line_number: int = 0, error_line: str = ""):
        super().__init__(message)
        self.message, self.line_number, self.error_line = message, line_number, error_line


class SandboxViolation(Exception):
    """The script tried something the sandbox does not allow."""


class ScriptTimeout(BaseException):
    """Raised inside a script at its deadline; the ``error_type`` of time-outs.
    Not an ``Exception``, so ``except Exception`` in a script lets it pass."""
