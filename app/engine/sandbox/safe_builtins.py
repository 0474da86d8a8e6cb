"""The builtins a script sees: plain data types and functions, a few errors,
dates and JSON, and bounded or guarded stand-ins for the risky ones.

Builtins that could loop in C without end over self-feeding input (``map``,
``filter``, two-argument ``iter``) are left out, and ``min``/``max(key=)``
copy their input first.
"""
from __future__ import annotations

import json
import time
import types
from datetime import date, datetime, timedelta, timezone
from typing import Any

from .bounds import _bounded_range, _pow
from .guards import _getattr, _hasattr


def _on_a_copy(pick):
    """min/max that copy one iterable argument first, so a ``key`` cannot grow it."""
    def call(*args, **kwargs):
        return pick(list(args[0]), **kwargs) if len(args) == 1 else pick(*args, **kwargs)
    call.__name__ = pick.__name__
    return call


def _import_for_strftime(name, globals=None, locals=None, fromlist=(), level=0):
    """CPython's ``datetime.strftime`` (and f"{moment:%d %b}") imports ``time``
    through the builtins' ``__import__``; it is the only import a script's
    code reaches. Scripts cannot name it: the compiler refuses import
    statements and names that start with an underscore."""
    if name == "time" and not level:
        return time
    raise ImportError(f"scripts cannot import {name!r}")


SAFE_BUILTINS: dict[str, Any] = {
    **{f.__name__: f for f in (abs, all, any, bool, chr, dict, divmod, enumerate, float, frozenset, int,
                               isinstance, len, list, next, ord, repr, reversed, round, set, slice, sorted,
                               str, sum, tuple, zip)},
    **{e.__name__: e for e in (Exception, ArithmeticError, AssertionError, AttributeError, IndexError,
                               KeyError, LookupError, NameError, NotImplementedError, OverflowError,
                               RuntimeError, StopIteration, TypeError, ValueError, ZeroDivisionError)},
    "min": _on_a_copy(min), "max": _on_a_copy(max), "range": _bounded_range, "pow": _pow,
    "getattr": _getattr, "hasattr": _hasattr,
    "datetime": datetime, "date": date, "timedelta": timedelta, "timezone": timezone,
    "json": types.SimpleNamespace(dumps=json.dumps, loads=json.loads),
    "__import__": _import_for_strftime,
}
