"""Tokens recognised in the last few seconds, so that each API request does not
look its token up again.

Every API call needs its caller; asking the database each time cost about a
tenth of a simple request. The price is that a token revoked or a user
deactivated by another process keeps working for up to ``seconds`` (10 by
default, ``BATON_TOKEN_CACHE_SECONDS``; 0 turns this off); in this process,
``users.forget_tokens()`` makes changes count at once. Expiry is checked on
every request. Unknown tokens are never remembered, so guessing cannot fill it.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

MAX_ENTRIES = 10_000


class RecentTokens:
    def __init__(self, seconds: float):
        self.ttl = timedelta(seconds=float(seconds))
        self._entries: dict[str, tuple[datetime, Any]] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: str, at: datetime) -> Any:
        entry = self._entries.get(token_hash)
        if entry is None or not (entry[0] <= at < entry[0] + self.ttl):
            return None
        return entry[1]

    def put(self, token_hash: str, value: Any, at: datetime) -> None:
        if not self.ttl:
            return
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[token_hash] = (at, value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
