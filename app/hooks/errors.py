"""What a hook call can end in besides a result.

The worker tells these apart: ``HookFailed`` is retried (or becomes an incident
when it is not retryable or retries run out), ``BpmnError`` is a modelled path
that an error boundary event catches, ``BpmnEscalation`` one that an
escalation boundary event takes (without failing the call), and ``UnknownHook`` is a configuration
mistake that retrying on the same host will not fix.
"""
from __future__ import annotations


class HookFailed(Exception):
    """The hook could not do its work. ``retryable`` says whether trying again
    later may succeed (a timeout, a 503) or not (a bad parameter, a 404)."""

    def __init__(self, message: str, retryable: bool = True):
        super().__init__(message)
        self.message = message
        self.retryable = retryable

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, retryable={self.retryable})"


class BpmnError(Exception):
    """Raised by a hook to take the diagram's error path: an error boundary
    event whose error code matches ``code`` catches it, so "the licence check
    failed" is a path in the process, not an incident."""

    def __init__(self, code: str, message: str = ""):
        if not isinstance(code, str) or not code:
            raise ValueError("a BPMN error needs a non-empty code")
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"BpmnError({self.code!r}, {self.message!r})"


class BpmnEscalation(Exception):
    """Raised by a hook to escalate without failing: an escalation boundary
    event on the service task whose code matches starts its path ("stock is
    low: tell procurement"). A non-interrupting one (and none at all, since an
    escalation is not an error) lets the task complete with ``result``."""

    def __init__(self, code: str, message: str = "", result=None):
        if not isinstance(code, str) or not code:
            raise ValueError("a BPMN escalation needs a non-empty code")
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.result = result

    def __repr__(self) -> str:
        return f"BpmnEscalation({self.code!r}, {self.message!r})"


class UnknownHook(HookFailed, LookupError):
    """No hook of that name is registered. It is a ``HookFailed`` that is not
    retryable, so a worker that only catches ``HookFailed`` still turns it into
    an incident (an admin can install the hook and retry)."""

    def __init__(self, name: str, known: list[str]):
        listing = ", ".join(repr(n) for n in known) if known else "none"
        super().__init__(f"no hook named {name!r} is registered (known hooks: {listing})", retryable=False)
        self.name = name
        self.known = list(known)


class DuplicateHook(ValueError):
    """Two hooks were given the same name; the second is refused rather than
    silently replacing the first."""
