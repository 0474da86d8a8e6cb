"""What Baton builds from a definition version (its loaded spec, its graph,
its documentation, its drawing), kept in process: a version never changes,
so each is built once. Bounded, least recently used first out, and safe
across the threads of one server.

Keys are made from content (key, version, content hash, file), not row ids:
two databases (tests, a restored backup) may give one id to different versions.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class VersionCache(Generic[T]):
    def __init__(self, size: int):
        self.size = size
        self._items: "OrderedDict[Hashable, T]" = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: Hashable, value: T) -> T:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def get_or_build(self, key: Hashable, build: Callable[[], T]) -> T:
        """The kept value, or ``build()``'s, kept. Two threads missing at once
        may both build: the work is pure, and holding the lock through it would
        make every other reader wait."""
        hit = self.get(key)
        return hit if hit is not None else self.put(key, build())

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
