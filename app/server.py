"""Running the app under gunicorn: threads for waiting on the database, and
processes for more cores. Stateless, so any number may share one database."""
from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict, embedded_worker: bool):
        self.options = options
        self.embedded_worker = embedded_worker
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from app import create_app

        app = create_app()
        if self.embedded_worker:
            # In each server process, after the fork: threads do not survive one.
            from app.worker import start_thread

            start_thread(app)
        return app


def run_server(host: str, port: int, workers: int = 1, threads: int = 8, embedded_worker: bool = True) -> None:
    _Server({
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        # The access log costs a little on every request; benchmarks switch it off.
        "accesslog": None if os.environ.get("BATON_ACCESS_LOG") == "0" else "-",
        "timeout": 60,
    }, embedded_worker).run()
