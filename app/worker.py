"""The job worker: runs due jobs (service tasks) until stopped.

``baton worker`` runs it in its own process; ``baton serve`` runs one in a
thread of each server process unless told not to. Any number may run at once
against one PostgreSQL (see services/jobs.py for how they share the table).
"""
from __future__ import annotations

import logging
import threading

from flask import Flask

from app.hooks import default_registry, load_entry_points
from app.services import jobs

log = logging.getLogger("baton.worker")
POLL_SECONDS = 1.0    # how long an idle worker waits before looking again
BATCH = 10

_entry_points_loaded = threading.Lock()
_loaded = False


def load_hooks() -> None:
    """Hooks other packages add through the ``baton.hooks`` entry points, once per process."""
    import app.services.notify_hook  # noqa: F401 - registers "notify"
    import app.services.priority_hook  # noqa: F401 - registers "raise_priority"
    import app.services.store_hook  # noqa: F401 - registers "store"
    global _loaded
    with _entry_points_loaded:
        if not _loaded:
            for problem in load_entry_points(default_registry):
                log.error("hook entry point not loaded: %s", problem)
            _loaded = True


def run_once(app: Flask, worker: str | None = None) -> int:
    """Run everything due now (including jobs that become due while running); returns the count."""
    load_hooks()
    worker = worker or jobs.worker_name()
    total = 0
    while True:
        with app.app_context():
            ran = jobs.run_due(worker, BATCH)
        total += ran
        if not ran:
            return total


def run_forever(app: Flask, stop: threading.Event, poll_seconds: float | None = None) -> None:
    """Run due jobs until ``stop`` is set. Idle, the worker sleeps until the next
    job it knows of falls due, and at most ``poll_seconds`` (jobs other
    processes write meanwhile are found then)."""
    worker = jobs.worker_name()
    poll = poll_seconds if poll_seconds is not None else float(app.config.get("BATON_WORKER_POLL_SECONDS", POLL_SECONDS))
    while not stop.is_set():
        try:
            run_once(app, worker)
            with app.app_context():
                pause = jobs.seconds_until_due(poll)
        except Exception:   # noqa: BLE001 - a database hiccup must not end the worker
            log.exception("the worker's round failed; trying again")
            pause = poll
        if pause > 0:
            stop.wait(pause)


def start_thread(app: Flask) -> threading.Event:
    """The embedded worker of ``baton serve``; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(app, stop), name="baton-worker", daemon=True).start()
    return stop
