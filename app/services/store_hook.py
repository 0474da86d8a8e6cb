"""The built-in ``store`` hook: a service task gets, puts, queries or deletes
records in a named collection (services/records.py).

It lives in the services layer, not app/hooks, because it uses the database;
importing this module registers it (app/worker.py's ``load_hooks`` does).
The worker calls hooks outside any transaction: reads run on their own, each
write opens its own ``write_transaction``.

    action      "get" | "put" | "update" | "query" | "delete" | "next"
                (``operation`` is accepted as another name for it)
    collection  the collection's name (all operations)
    key         the record's key (get, put, delete; next: the sequence's name)
    value       the JSON object to store (put)
    expect, set, add, append, remove
                update only: change some fields in one locked step, if the
                record holds what ``expect`` says (records.update); when it
                does not, the hook raises the BPMN error ``store-conflict``,
                which an error boundary event on the task can catch ("the
                asset was taken meanwhile: pick another")
    required    get only: true makes a missing record a failure, not None
    where       query only: {field: value} that records must all equal
    limit       query only: at most this many records (default 100, at most 1000)

Results: get → the value or None; put, update → the stored value; delete →
{"deleted": bool}; query → [{"key", "value"}, ...] in key order; next → the
sequence's next number (1, 2, ...), for references such as INC-000042.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from app.hooks import BpmnError, HookContext, HookFailed, hook
from app.models import db

from . import records
from .errors import Conflict, InvalidData

PARAMETERS = {
    "get": ("collection", "key", "required"),
    "put": ("collection", "key", "value"),
    "update": ("collection", "key", "expect", *records.CHANGES),
    "query": ("collection", "where", "limit"),
    "delete": ("collection", "key"),
    "next": ("collection", "key"),
}
REQUIRED = {"get": ("collection", "key"), "put": ("collection", "key", "value"), "update": ("collection", "key"),
            "query": ("collection",), "delete": ("collection", "key"), "next": ("collection", "key")}
MAX_ERROR_CHARS = 200
CONFLICT = "store-conflict"   # the BPMN error code of an update whose expectation failed


@hook("store")
def store_hook(params: dict, context: HookContext) -> Any:
    operation, given = _checked(params)
    try:
        if operation == "get":
            return _get(given)
        if operation == "put":
            return records.put(given["collection"], given["key"], given["value"]).value
        if operation == "update":
            changes = {name: given.get(name) for name in ("expect", *records.CHANGES)}
            return records.update(given["collection"], given["key"], **changes).value
        if operation == "delete":
            return {"deleted": records.delete(given["collection"], given["key"])}
        if operation == "next":
            return records.next_number(given["collection"], given["key"])
        found = records.query(given["collection"], given.get("where"), given.get("limit"))
        return [{"key": record.key, "value": record.value} for record in found]
    except Conflict as conflict:
        raise BpmnError(CONFLICT, conflict.message) from None
    except InvalidData as invalid:
        # A mistake in the diagram or its data: the same call would fail again.
        field, messages = next(iter(invalid.fields.items()))
        raise bad(field, messages[0]) from None
    except sa.exc.SQLAlchemyError as exc:
        # The database was unreachable, busy or restarting: worth another attempt.
        db.session.rollback()
        raise HookFailed(f"store hook: the database failed: {_describe(exc)}") from exc


def bad(parameter: str, problem: str) -> HookFailed:
    return HookFailed(f"store hook: parameter {parameter!r}: {problem}", retryable=False)


def _checked(params: Any) -> tuple[str, dict]:
    """The operation and its parameters; a parameter evaluated to None counts
    as not given, so a diagram can leave an optional one empty."""
    if not isinstance(params, Mapping):
        raise HookFailed(f"store hook: parameters must be a mapping, got {type(params).__name__}", retryable=False)
    if "action" in params and "operation" in params:
        raise bad("action", "give the action or its other name 'operation', not both")
    spelled = "operation" if "operation" in params else "action"
    operation = params.get(spelled)
    if not isinstance(operation, str) or operation not in PARAMETERS:
        raise bad(spelled, f"must be one of {', '.join(PARAMETERS)}, got {operation!r}")
    allowed = (spelled, *PARAMETERS[operation])
    unknown = sorted(str(name) for name in params if name not in allowed)
    if unknown:
        raise HookFailed(f"store hook: {operation} does not take {', '.join(map(repr, unknown))} "
                         f"(it takes: {', '.join(allowed)})", retryable=False)
    given = {name: value for name, value in params.items() if value is not None}
    for name in REQUIRED[operation]:
        if name not in given:
            raise bad(name, f"is required for {operation}")
    if not isinstance(given.get("required", False), bool):
        raise bad("required", f"must be true or false, got {given['required']!r}")
    return operation, given


def _get(given: dict) -> Any:
    record = records.get(given["collection"], given["key"])
    if record is not None:
        return record.value
    if given.get("required"):
        # Not retryable: an admin adds the record, then retries the incident.
        raise HookFailed(f"store hook: no record {given['key']!r} in {given['collection']!r}", retryable=False)
    return None


def _describe(exc: sa.exc.SQLAlchemyError) -> str:
    """The driver's error, first line only: SQLAlchemy's message would quote
    the statement and its parameters (record values) into the audit trail."""
    cause = getattr(exc, "orig", None) or exc
    first_line = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first_line[:MAX_ERROR_CHARS]}"
