"""A real ``baton serve`` in its own process on a loopback port, set up the
way scripts/run does it: the schema by ``baton init-db``, then anything else
through the ``baton`` command. Used by the browser tests and the benchmark."""
from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.support.postgres import free_port

REPO = Path(__file__).resolve().parents[2]
BATON = str(REPO / ".venv" / "bin" / "baton")


class BatonServer:
    def __init__(self, database_url: str, workdir: Path, *, threads: int = 4, init_db: bool = True,
                 **settings: str):
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.instance_path = workdir
        self.env = dict(os.environ, BATON_DATABASE_URL=database_url, BATON_INSTANCE_PATH=str(workdir),
                        BATON_SECRET_KEY="test-server", BATON_ACCESS_LOG="0", **settings)
        self.threads = threads
        self.proc: subprocess.Popen | None = None
        if init_db:   # False: the database is a copy of one set up already
            self.baton("init-db")

    def baton(self, *args: str) -> str:
        """Runs a ``baton`` command against this server's database; returns its output."""
        done = subprocess.run([BATON, *args], env=self.env, capture_output=True, text=True, cwd=REPO)
        if done.returncode != 0:
            raise RuntimeError(f"baton {' '.join(args)} failed: {done.stderr or done.stdout}")
        return done.stdout

    def start(self, timeout: float = 30, *, worker: bool = False) -> "BatonServer":
        """Serves; with ``worker`` the embedded job worker runs too, as under scripts/run."""
        command = [BATON, "serve", "--port", str(self.port), "--threads", str(self.threads)]
        self.proc = subprocess.Popen(
            command if worker else [*command, "--no-worker"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/api/v1/health", timeout=5) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("baton serve did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
