"""Calling a hook so that the worker only ever sees a JSON-able result, a
``HookFailed``, a ``BpmnError`` or a ``BpmnEscalation``, whatever the hook's code does."""
from __future__ import annotations

import json
from typing import Any

from .context import HookContext
from .errors import BpmnError, BpmnEscalation, HookFailed
from .registry import HookRegistry


def call_hook(registry: HookRegistry, name: str, params: dict, context: HookContext) -> Any:
    """Runs hook ``name`` and returns its result as plain JSON data (a fresh
    copy: tuples become lists, and nothing the hook keeps a reference to can
    change the stored value afterwards).

    Raises ``UnknownHook`` (a non-retryable ``HookFailed``), ``HookFailed``, or
    ``BpmnError`` or ``BpmnEscalation``. Any other ``Exception`` from the hook becomes a retryable
    ``HookFailed`` naming its type. ``KeyboardInterrupt`` and ``SystemExit`` pass:
    they mean the worker itself is being stopped.
    """
    fn = registry.get(name)
    try:
        result = fn(params, context)
    except BpmnEscalation as escalation:
        escalation.result = as_json_data(name, escalation.result)   # stored like a result
        raise
    except (HookFailed, BpmnError):
        raise
    except Exception as exc:
        raise HookFailed(f"{type(exc).__name__}: {exc}") from exc
    return as_json_data(name, result)


def as_json_data(name: str, result: Any) -> Any:
    """The result round-tripped through JSON. What cannot be stored (a datetime,
    a set, NaN, a cycle) is refused, not retried: the same code returns the same
    kind of value next time."""

    def refuse(value: Any) -> Any:
        kind = type(value)
        where = "" if kind.__module__ == "builtins" else f"{kind.__module__}."
        raise TypeError(f"a {where}{kind.__qualname__} is not JSON data")

    try:
        text = json.dumps(result, default=refuse, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise HookFailed(
            f"hook {name!r} returned a {type(result).__name__} that cannot be stored as JSON: {exc}",
            retryable=False,
        ) from exc
    return json.loads(text)
