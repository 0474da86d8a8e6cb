"""Memory bounds, only where they are cheap to check.

``*``, ``**`` and ``<<`` (plain and in-place) refuse results over ``MAX_ITEMS``
items or ``MAX_INT_BITS`` bits, and ``range`` over ``MAX_ITEMS``. String
methods (``replace``, ``ljust``, ``join``) and format widths are not bounded:
run workers under a process memory limit.

The functions keep their underscore names: scripts call them as ``pow`` and
``range``, and a wrong call's TypeError quotes the name.
"""
from __future__ import annotations

from .errors import SandboxViolation

MAX_ITEMS = 1_000_000               # longest sequence a repetition or range may make
MAX_INT_BITS = 1_000_000            # largest integer (about 300,000 digits) * ** << may make


def _check_size(a, b, make: str) -> None:
    if make == "*" and isinstance(a, int) and isinstance(b, int):
        too_big = a.bit_length() + b.bit_length() > MAX_INT_BITS
    elif make == "*":
        seq, n = (a, b) if isinstance(b, int) else (b, a)
        too_big = isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_ITEMS
    elif make == "**":
        too_big = isinstance(a, int) and isinstance(b, int) and abs(a) > 1 and a.bit_length() * b > MAX_INT_BITS
    else:   # "<<"
        too_big = isinstance(a, int) and isinstance(b, int) and a != 0 and a.bit_length() + b > MAX_INT_BITS
    if too_big:
        raise SandboxViolation(f"the result of {make} would be too large")


def _mul(a, b):
    _check_size(a, b, "*")
    return a * b


def _pow(a, b, mod=None):
    if mod is not None:
        return pow(a, b, mod)   # bounded by mod
    _check_size(a, b, "**")
    return a ** b


def _lshift(a, b):
    _check_size(a, b, "<<")
    return a << b


def _bounded_range(*args) -> range:
    span = range(*args)
    try:
        too_long = len(span) > MAX_ITEMS
    except OverflowError:
        too_long = True
    if too_long:
        raise SandboxViolation(f"range longer than {MAX_ITEMS} is not allowed")
    return span
