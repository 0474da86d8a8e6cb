"""Hooks by name: the decorator for hooks in Baton's own code, and the
``baton.hooks`` entry-point group for hooks that other packages install."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from .context import HookContext
from .errors import DuplicateHook, UnknownHook

# fn(params, context) -> dict | list | str | int | float | bool | None
Hook = Callable[[dict, HookContext], Any]

ENTRY_POINT_GROUP = "baton.hooks"


def describe(fn: Callable) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


class HookRegistry:
    """Named hooks. Registration normally happens at import or start-up, but a
    lock keeps the check-then-add atomic should two threads register at once."""

    def __init__(self):
        self._hooks: dict[str, Hook] = {}
        self._lock = threading.Lock()

    def register(self, name: str, fn: Hook) -> Hook:
        if not isinstance(name, str) or not name or name != name.strip():
            raise ValueError(f"a hook name must be a non-empty string without surrounding spaces, got {name!r}")
        if not callable(fn):
            raise TypeError(f"hook {name!r} must be callable, got {type(fn).__name__}")
        with self._lock:
            existing = self._hooks.get(name)
            # The same function registered again (a module imported twice, entry
            # points loaded twice) is harmless; another function under the name is not.
            if existing is not None and existing is not fn:
                raise DuplicateHook(
                    f"hook {name!r} is already registered (by {describe(existing)}); "
                    f"{describe(fn)} needs another name"
                )
            self._hooks[name] = fn
        return fn

    def get(self, name: str) -> Hook:
        try:
            return self._hooks[name]
        except (KeyError, TypeError):
            raise UnknownHook(name, self.names()) from None

    def names(self) -> list[str]:
        return sorted(self._hooks)

    def __contains__(self, name: object) -> bool:
        return name in self._hooks


# The registry the worker uses; `hook` and the built-in hooks register here.
default_registry = HookRegistry()


def hook(name: str, registry: HookRegistry | None = None) -> Callable[[Hook], Hook]:
    """``@hook("crm.lookup")`` registers the function under that name and
    returns it unchanged, so it can still be called and tested directly."""

    def register(fn: Hook) -> Hook:
        return (registry or default_registry).register(name, fn)

    return register


@dataclass(frozen=True)
class EntryPointProblem:
    """An entry point that could not be registered, and why."""

    entry_point: str  # as written in the distribution: "name = module:attr"
    distribution: str | None
    message: str

    def __str__(self) -> str:
        source = f" (from {self.distribution})" if self.distribution else ""
        return f"entry point {self.entry_point!r} in group {ENTRY_POINT_GROUP!r}{source}: {self.message}"


def load_entry_points(
    registry: HookRegistry,
    entry_points: Iterable[metadata.EntryPoint] | None = None,
) -> list[EntryPointProblem]:
    """Registers every ``baton.hooks`` entry point (its name is the hook name,
    the object it points to the hook). One broken plugin must not keep the
    others, or Baton, from starting, so failures are returned, not raised; the
    caller logs them. ``entry_points`` overrides discovery (for tests)."""
    if entry_points is None:
        entry_points = metadata.entry_points(group=ENTRY_POINT_GROUP)
    problems = []
    for entry_point in entry_points:
        problem = _register_entry_point(registry, entry_point)
        if problem:
            problems.append(problem)
    return problems


def _register_entry_point(registry: HookRegistry, entry_point: metadata.EntryPoint) -> EntryPointProblem | None:
    dist = getattr(entry_point, "dist", None)
    distribution = f"{dist.name} {dist.version}" if dist is not None else None

    def problem(message: str) -> EntryPointProblem:
        return EntryPointProblem(f"{entry_point.name} = {entry_point.value}", distribution, message)

    try:
        fn = entry_point.load()
    # Importing a plugin runs arbitrary code: any exception is that plugin's bug.
    except Exception as exc:
        return problem(f"could not be loaded: {type(exc).__name__}: {exc}")
    try:
        registry.register(entry_point.name, fn)
    except (ValueError, TypeError) as exc:  # DuplicateHook is a ValueError
        return problem(str(exc))
    return None
