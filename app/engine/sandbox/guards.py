"""The run-time guards: the ``_getattr_``, ``_write_``, ... hooks that code
compiled by RestrictedPython calls, and the helpers the policy inserts.

``getattr`` and ``hasattr`` are also handed to scripts as builtins, which is
why ``_getattr`` and ``_hasattr`` keep their names (a wrong call's TypeError
quotes them).
"""
from __future__ import annotations

import operator
import types

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from ..expressions import EMPTY_HELPER
from .bounds import _check_size, _lshift, _mul, _pow
from .errors import SandboxViolation

_OPAQUE = (types.ModuleType, types.FrameType, types.CodeType, types.TracebackType, types.FunctionType,
           types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType)
_DICT_ATTRIBUTES = frozenset(dir(dict))


def _check_attribute(obj, name) -> None:
    if not isinstance(name, str):
        raise TypeError("attribute name must be a string")
    if name.startswith("_") or name in INSPECT_ATTRIBUTES:
        raise SandboxViolation(f"access to '{name}' is not allowed")
    if isinstance(obj, _OPAQUE):
        raise SandboxViolation(f"access to attributes of {type(obj).__name__} objects is not allowed")
    if name in ("format", "format_map") and (isinstance(obj, str) or obj is str):
        # '{0.__class__}'.format(x) walks attributes without _getattr_.
        raise SandboxViolation(f"str.{name} is not allowed: use f-strings or %")


def _getattr(obj, name, *default):
    """Attribute access for Python: dict methods win, else a dict's key."""
    _check_attribute(obj, name)
    if isinstance(obj, dict) and name not in _DICT_ATTRIBUTES and name in obj:
        return obj[name]
    if name == "extend" and isinstance(obj, list):
        return lambda items: obj.extend(list(items))   # l.extend(zip(l)) would never end
    return getattr(obj, name, *default)


def getattr_juel(obj, name, *default):
    """Attribute access for JUEL: ``order.amount`` is the key, a missing key is null."""
    if isinstance(obj, dict) and isinstance(name, str) and not name.startswith("_"):
        return obj.get(name)
    return _getattr(obj, name, *default)


def _hasattr(obj, name) -> bool:
    try:
        _getattr(obj, name)
    except AttributeError:
        return False
    return True


class _DictWriter:
    """What ``_write_`` gives for a dict, so ``order.amount = 5`` sets the key."""
    __slots__ = ("target",)

    def __init__(self, target):
        object.__setattr__(self, "target", target)

    def __setattr__(self, name, value):
        self.target[name] = value

    def __delattr__(self, name):
        del self.target[name]

    def __setitem__(self, key, value):
        self.target[key] = value

    def __delitem__(self, key):
        del self.target[key]


def _write(obj):
    """Scripts may change their own dicts and lists, nothing shared."""
    if isinstance(obj, dict):
        return _DictWriter(obj)
    if isinstance(obj, list):
        return obj
    raise SandboxViolation(f"{type(obj).__name__} objects cannot be modified")


def _inplacevar(op: str, target, value):
    if op in ("*=", "**=", "<<="):
        _check_size(target, value, op[:-1])
    elif op == "+=" and isinstance(target, list):
        value = list(value)     # like extend: never iterate a list while growing it
    return _INPLACE[op](target, value)


_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
    "@=": operator.imatmul,
}


def _empty(value) -> bool:
    """JUEL ``empty``: null, or a string or collection of length 0."""
    try:
        return value is None or len(value) == 0
    except TypeError:
        return False


class _DiscardedPrint:
    """``print`` in a script writes nowhere (RestrictedPython's print hook)."""

    def __init__(self, _getattr_=None):
        pass

    def _call_print(self, *objects, **options):
        pass

    def __call__(self) -> str:
        return ""


GUARDS = {
    "_getattr_": _getattr, "_getitem_": operator.getitem, "_getiter_": iter, "_write_": _write,
    "_inplacevar_": _inplacevar, "_unpack_sequence_": guarded_unpack_sequence,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_apply_": lambda f, *a, **k: f(*a, **k),
    "_print_": _DiscardedPrint, "_print": _DiscardedPrint(), EMPTY_HELPER: _empty,
    "_mul_": _mul, "_pow_": _pow, "_lshift_": _lshift,
}
