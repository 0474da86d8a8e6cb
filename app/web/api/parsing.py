"""Reading JSON request bodies strictly enough that nothing unstorable gets in.

webargs ignores a body whose Content-Type is not JSON and Python's ``json``
accepts things JSON does not (NaN, Infinity, 1e400) or that a database
refuses (NUL characters, lone surrogates in PostgreSQL). Each of those would
otherwise surface as a silent no-op or a 500 further down, so they are
refused here: 400 for what is not JSON, 422 for JSON we cannot store.
"""
from __future__ import annotations

import json
import math
from typing import Any

from webargs import core
from webargs.flaskparser import FlaskParser, abort

MALFORMED = "The request body is not valid JSON."


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is out of range")
    return value


def parse_json_body(raw: bytes) -> Any:
    """The body's JSON value, or ``core.missing`` for an empty body; aborts 400/422."""
    if not raw.strip():
        return core.missing
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, digit limits, depth
        abort(400, message=f"{MALFORMED} ({_short(exc)})")
    if b"\\u" in raw:  # only escapes can smuggle NULs or lone surrogates into strings
        problem = _unstorable_text(value)
        if problem:
            abort(422, message="The request body holds text that cannot be stored.",
                  messages={"json": {"_body": [problem]}})
    return value


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _unstorable_text(value: Any) -> str | None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "Text must not contain NUL characters."
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "Text must be valid Unicode (no lone surrogates)."
    return None


class StrictJsonParser(FlaskParser):
    """Any non-empty body of a JSON-taking call is parsed as JSON, whatever its Content-Type."""

    def _raw_load_json(self, req):
        return parse_json_body(req.get_data(cache=True))
