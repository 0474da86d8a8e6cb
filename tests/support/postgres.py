"""A throwaway PostgreSQL server for the test session (one per pytest-xdist worker).

Started from the PostgreSQL binaries on the machine (CI: /usr/lib/postgresql/15),
as the ``postgres`` user when the tests run as root (the server refuses root),
in a temporary folder, on a free loopback port, with durability off for speed.
"""
from __future__ import annotations

import fcntl
import glob
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def find_bin_dir() -> Path | None:
    if os.environ.get("BATON_PG_BIN"):
        return Path(os.environ["BATON_PG_BIN"])
    found = shutil.which("pg_ctl")
    if found:
        # /usr/local/bin may hold only a symlink to pg_ctl; its siblings live beside the target.
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


# Ports handed out by free_port: below the kernel's ephemeral range (32768 up, where
# bind to port 0 and outgoing connections take theirs), and each one written down
# for PORT_HOLD seconds in a registry shared by every test process on the machine
# (the pytest-xdist workers of a run, other runs), so that no two of them are given
# the same port between the check here and the server's own bind.
PORT_RANGE = (20000, 32768)
PORT_HOLD = 300.0
PORT_REGISTRY = Path(tempfile.gettempdir()) / "baton-test-ports"
_random = random.SystemRandom()


def free_port() -> int:
    """A loopback port that nothing listens on and no other test process was given lately."""
    for _ in range(500):
        port = _random.randrange(*PORT_RANGE)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        if _reserve(port):
            return port
    raise RuntimeError(f"no free port in {PORT_RANGE}")


def _reserve(port: int) -> bool:
    """Writes ``port`` down in the registry; False if another process holds it."""
    try:
        with open(PORT_REGISTRY, "a+") as registry:
            fcntl.flock(registry, fcntl.LOCK_EX)   # released when the file closes
            registry.seek(0)
            now = time.time()
            held = {}
            for line in registry.read().splitlines():
                try:
                    number, until = line.split()
                    if float(until) > now:
                        held[int(number)] = float(until)
                except ValueError:
                    continue
            if port in held:
                return False
            held[port] = now + PORT_HOLD
            registry.seek(0)
            registry.truncate()
            registry.write("".join(f"{number} {until:.0f}\n" for number, until in held.items()))
            return True
    except OSError:
        return True    # no registry (another user's file, say): the bind check alone


class PostgresServer:
    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="baton-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, cwd="/")

    def start(self) -> "PostgresServer":
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        deadline = time.time() + 30
        while self._run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), check=False).returncode != 0:
            if time.time() > deadline:
                raise RuntimeError("PostgreSQL did not start: " + (self.root / "log").read_text())
            time.sleep(0.1)
        return self

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)
