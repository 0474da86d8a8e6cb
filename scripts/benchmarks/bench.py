"""Baton's benchmark. Run it with scripts/bench.

(a) one instance's whole life over HTTP (start, read, complete, read), per
    instance, median over 200, on SQLite and PostgreSQL;
(b) the cost of one task completion in a looping instance at iterations 1,
    100 and 1,000; (c) the stored state's size at those iterations;
(d) the candidate inbox (GET /tasks?scope=candidate) with 10,000 and 100,000
    open tasks in the database.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from tests.support.postgres import PostgresServer, find_bin_dir  # noqa: E402
from tests.support.serve import BatonServer  # noqa: E402

HERE = Path(__file__).parent


class JsonClient:
    """A lean keep-alive HTTP/1.1 JSON client for the timed loops.

    Written here rather than using requests (about 2 ms a call on this
    machine) or http.client (its header parsing through the email package
    costs about 0.12 ms a response): the client's own time would be measured
    as Baton's. It speaks just what Baton's server answers: Content-Length
    bodies on a kept-alive connection.
    """

    def __init__(self, port: int, token: str):
        self.port = port
        self.fixed_headers = f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        self.sock = self.reader = None

    def _connect(self) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def _close(self) -> None:
        if self.sock is not None:
            self.reader.close()
            self.sock.close()
        self.sock = self.reader = None

    def call(self, method: str, path: str, body=None) -> tuple[int, object]:
        payload = b"" if body is None else json.dumps(body).encode()
        request = (f"{method} /api/v1{path} HTTP/1.1\r\n{self.fixed_headers}"
                   f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode() + payload
        for attempt in (1, 2):
            try:
                if self.sock is None:
                    self._connect()
                self.sock.sendall(request)
                return self._response()
            except (ConnectionError, EOFError):
                # The server closes idle keep-alive connections (e.g. while the
                # inbox benchmark fills the database): connect again, once.
                self._close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _response(self) -> tuple[int, object]:
        status_line = self.reader.readline()
        if not status_line:
            raise EOFError("connection closed")
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        data = self.reader.read(length) if length else b""
        if close:
            self._close()
        return status, json.loads(data or b"null")


class Server(BatonServer):
    """A real `baton serve` with its own database and an admin's token."""

    def __init__(self, database_url: str, workdir: Path):
        super().__init__(database_url, workdir)
        token = self.baton("user", "add", "bench", "--role", "admin", "--group", "g0", "--group", "g1").strip()
        self.start()
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.token = token
        self.base = f"{self.url}/api/v1"
        self.api = JsonClient(self.port, token)

    def deploy(self, name: str) -> None:
        with open(HERE / name, "rb") as f:
            r = self.http.post(self.base + "/deployments", files={"file": (name, f)})
        r.raise_for_status()



def life_over_http(server: Server, n: int = 200) -> dict:
    server.deploy("one_task.bpmn")
    api, times = server.api, []
    for _ in range(n + 10):
        t0 = time.perf_counter()
        _, inst = api.call("POST", "/definitions/bench-one-task/instances", {"data": {}})
        _, inst = api.call("GET", f"/instances/{inst['id']}")
        status, _ = api.call("POST", f"/tasks/{inst['open_tasks'][0]['id']}/complete", {"data": {"ok": True}})
        _, inst = api.call("GET", f"/instances/{inst['id']}")
        times.append((time.perf_counter() - t0) * 1000)
        assert status == 200 and inst["status"] == "completed", inst
    times = times[10:]  # the first few warm caches up
    return {"median_ms": round(statistics.median(times), 2), "p95_ms": round(_pct(times, 95), 2), "instances": n}


def loop_cost(server: Server, limit: int = 1000) -> dict:
    server.deploy("loop.bpmn")
    api = server.api
    _, inst = api.call("POST", "/definitions/bench-loop/instances", {"data": {"rounds": 0, "limit": limit}})
    engine = sa.create_engine(server.env["BATON_DATABASE_URL"])
    times, sizes = {}, {}
    task_id = inst["open_tasks"][0]["id"]
    for i in range(1, limit + 1):
        t0 = time.perf_counter()
        status, inst = api.call("POST", f"/tasks/{task_id}/complete", {"data": {}})
        times[i] = (time.perf_counter() - t0) * 1000
        assert status == 200, inst
        if inst["open_tasks"]:
            task_id = inst["open_tasks"][0]["id"]
        if i in (1, 100, limit - 1):
            with engine.connect() as c:
                sizes[i] = c.execute(sa.text("SELECT length(state) FROM instance WHERE id = :id"),
                                     {"id": inst["id"]}).scalar()
    assert inst["status"] == "completed"
    engine.dispose()

    def around(i):  # the median of a few neighbours smooths out one-off hiccups
        window = [times[j] for j in range(max(1, i - 5), min(limit, i + 5) + 1)]
        return round(statistics.median(window), 2)

    result = {f"iteration_{i}_ms": around(i) for i in (1, 100, limit)}
    result["ratio_last_to_first"] = round(result[f"iteration_{limit}_ms"] / result["iteration_1_ms"], 2)
    result.update({f"state_bytes_at_{i}": s for i, s in sizes.items()})
    return result


def inbox(server: Server, counts=(10_000, 100_000)) -> dict:
    server.deploy("one_task.bpmn")
    inst = server.http.post(server.base + "/definitions/bench-one-task/instances", json={"data": {}}).json()
    engine = sa.create_engine(server.env["BATON_DATABASE_URL"])
    out, have = {}, 0
    for count in counts:
        _insert_tasks(engine, inst["id"], have, count - have)
        have = count
        times = []
        for _ in range(30):
            t0 = time.perf_counter()
            status, page = server.api.call("GET", "/tasks?scope=candidate")
            times.append((time.perf_counter() - t0) * 1000)
            assert status == 200 and len(page) > 0
        out[f"open_tasks_{count}"] = {"median_ms": round(statistics.median(times), 2),
                                      "p95_ms": round(_pct(times, 95), 2), "returned": len(page)}
    engine.dispose()
    return out


def _insert_tasks(engine, instance_id: int, start: int, n: int) -> None:
    """Open tasks spread over 50 groups; the bench user is in two of them."""
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with engine.begin() as c:
        for chunk in range(0, n, 5000):
            tasks, cands = [], []
            for k in range(start + chunk, start + min(n, chunk + 5000)):
                tid = str(uuid.uuid4())
                at = (base + timedelta(seconds=k)).replace(tzinfo=None)
                tasks.append({"id": tid, "instance_id": instance_id, "definition_key": "bench-one-task",
                              "bpmn_id": "work", "name": "Do the work", "lane": None, "assignee": None,
                              "candidate_groups": json.dumps([f"g{k % 50}"]), "candidate_users": "[]",
                              "state": "open", "priority": 0, "created_at": at})
                cands.append({"task_id": tid, "group_name": f"g{k % 50}", "created_at": at})
            c.execute(sa.text(
                "INSERT INTO human_task (id, instance_id, definition_key, bpmn_id, name, lane, assignee, "
                "candidate_groups, candidate_users, state, priority, created_at) VALUES (:id, :instance_id, "
                ":definition_key, :bpmn_id, :name, :lane, :assignee, :candidate_groups, :candidate_users, "
                ":state, :priority, :created_at)"), tasks)
            c.execute(sa.text("INSERT INTO task_candidate (task_id, group_name, created_at) "
                              "VALUES (:task_id, :group_name, :created_at)"), cands)
        c.exec_driver_sql("ANALYZE")


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller counts, for trying the script")
    args = parser.parse_args()
    results: dict = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as tmp:
        tmp = Path(tmp)
        backends = {"sqlite": f"sqlite:///{tmp / 'bench.sqlite'}"}
        pg = None
        if find_bin_dir():
            pg = PostgresServer(find_bin_dir()).start()
            backends["postgresql"] = pg.create_database("bench")
        try:
            for name, url in backends.items():
                print(f"== {name}", flush=True)
                server = Server(url, tmp / name)
                try:
                    r = results.setdefault(name, {})
                    r["a_life_over_http"] = life_over_http(server, 50 if args.quick else 200)
                    print("  (a) life over HTTP:", r["a_life_over_http"], flush=True)
                    if name == "sqlite":
                        r["b_c_loop"] = loop_cost(server, 120 if args.quick else 1000)
                        print("  (b, c) loop:", r["b_c_loop"], flush=True)
                    r["d_inbox"] = inbox(server, (1000, 10_000) if args.quick else (10_000, 100_000))
                    print("  (d) inbox:", r["d_inbox"], flush=True)
                finally:
                    server.stop()
        finally:
            if pg:
                pg.stop()
    out = REPO / "bench-results"
    out.mkdir(exist_ok=True)
    path = out / f"bench-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2))
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
