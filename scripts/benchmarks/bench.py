"""Baton's benchmark. Run it with scripts/bench.

(a) one instance's whole life over HTTP (start, read, complete, read), per
    instance, median over 200, on SQLite and PostgreSQL;
(b) the cost of one task completion in a looping instance at iterations 1,
    100 and 1,000; (c) the stored state's size at those iterations;
(d) the candidate inbox (GET /tasks?scope=candidate) with 10,000 and 100,000
    open tasks in the database;
(e) on PostgreSQL, jobs per second drained from a backlog of service-task jobs
    by one and by two `baton worker` processes, with a hook that answers at
    once (store, in the worker; http, a loopback server) and one that takes
    50 ms like an outside system;
(f) on PostgreSQL, how late timers fire: 1,000 instances waiting on date
    timers due within one minute, the delay from each due time to the audit
    event of its timer step (median, 99th percentile), one and two workers.
(e) and (f) also say where the CPU went (workers, PostgreSQL, this process,
steal) while they ran.
(g) a step reminded every day by a repeating timer, in the engine alone (a
    restore, the firing and a dump per day, as the worker does it): the cost
    of a firing and the stored state's size on days 1, 100 and 400.
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
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from tests.support.postgres import PostgresServer, find_bin_dir  # noqa: E402
from tests.support.serve import BatonServer  # noqa: E402
from tests.support.workers import CountingService, Workers, new_database, wait_until  # noqa: E402

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


def reminder_cycle(days: int = 400) -> dict:
    from app.clock import FrozenClock
    from app.engine.bundle import load_bundle
    from app.engine.runtime import WorkflowRun
    from app.engine.sandbox import SandboxedScriptEngine
    from app.engine.serializer import dump_spec, load_spec

    [model] = load_bundle({"daily_reminder.bpmn": (HERE / "daily_reminder.bpmn").read_bytes()}).processes
    spec, subs = load_spec(dump_spec(model))
    clock = FrozenClock()
    engine = SandboxedScriptEngine(clock=clock)
    state = WorkflowRun.start(spec, subs, model.flavour, {}, script_engine=engine).dump()
    start, times, sizes = clock.now(), {}, {}
    for day in range(1, days + 1):
        clock.set(start + timedelta(days=day, seconds=1))
        t0 = time.perf_counter()
        run = WorkflowRun.restore(state, spec, subs, model.flavour, script_engine=engine)
        run.fire_due_timers()
        state = run.dump()
        times[day] = (time.perf_counter() - t0) * 1000
        sizes[day] = len(state)

    def around(i):  # the median of a few neighbours smooths out one-off hiccups
        return round(statistics.median(times[j] for j in range(max(1, i - 5), min(days, i + 5) + 1)), 2)

    result = {f"day_{d}_ms": around(d) for d in (1, 100, days)}
    result["ratio_last_to_first"] = round(result[f"day_{days}_ms"] / result["day_1_ms"], 2)
    result.update({f"state_bytes_on_day_{d}": sizes[d] for d in (1, 100, days)})
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


# --- (e), (f): real `baton worker` processes on PostgreSQL -----------------------------


class BatonInProcess:
    """Baton in this process on a fresh PostgreSQL database: it deploys and
    starts instances; `baton worker` processes run their jobs."""

    def __init__(self, pg: PostgresServer, name: str, workdir: Path):
        from app import create_app
        from app.services import users

        self.url = new_database(pg, name)
        self.workdir = workdir
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": self.url, "INSTANCE_PATH": str(workdir / "instance"),
                               "SECRET_KEY": "bench"})
        with self.app.app_context():
            users.add_user("bench", role="admin")
        self.engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")

    def _admin(self):
        from app.models import User, db

        return db.session.scalar(sa.select(User).where(User.username == "bench"))

    def deploy(self, name: str) -> None:
        from app.services import deployments

        with self.app.app_context():
            deployments.deploy({name: (HERE / name).read_bytes()}, self._admin(), source="bench")

    def start(self, key: str, datas: list[dict]) -> None:
        """One instance per data, its business key the data's "case"."""
        from app.models import db
        from app.services import instances

        with self.app.app_context():
            admin = self._admin()
            for data in datas:
                instances.start_instance(key, admin, data=data, business_key=data["case"])
            db.session.remove()

    def sql(self, statement: str, **params) -> list:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(statement), params))

    def close(self) -> None:
        from app.models import db

        with self.app.app_context():
            db.engine.dispose()
        self.engine.dispose()


class CpuMeter:
    """Where the CPU went over an interval: the machine's busy and steal share
    (/proc/stat, all CPUs) and the CPU seconds of the workers, of PostgreSQL
    (the postmaster and its backends) and of this process (the loopback
    service runs in it)."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pg: PostgresServer, worker_pids: list[int]):
        self.pg, self.worker_pids = pg, worker_pids

    def __enter__(self) -> "CpuMeter":
        self.begin = self._sample()
        return self

    def __exit__(self, *exc) -> None:
        self.end = self._sample()

    def result(self, jobs: int) -> dict:
        (m0, w0, p0, s0, t0), (m1, w1, p1, s1, t1) = self.begin, self.end
        total = sum(m1) - sum(m0) or 1
        busy, steal = m1[0] - m0[0], m1[2] - m0[2]
        per_job = 1000 / max(jobs, 1)
        workers = sum(w1.get(pid, 0) - w0.get(pid, 0) for pid in w1)
        postgres = sum(p1.get(pid, 0) - p0.get(pid, 0) for pid in p1)
        wall = (t1 - t0) or 1
        return {"machine_busy_pct": round(100 * busy / total, 1), "steal_pct": round(100 * steal / total, 1),
                "wall_s": round(t1 - t0, 2),
                # Of the machine's cores: what the workers and PostgreSQL got (the rest went elsewhere).
                "worker_cores": round(workers / wall, 2), "postgres_cores": round(postgres / wall, 2),
                "worker_cpu_ms_per_job": round(workers * per_job, 2),
                "postgres_cpu_ms_per_job": round(postgres * per_job, 2),
                "bench_process_cpu_ms_per_job": round((s1 - s0) * per_job, 2)}

    def _sample(self):
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
        machine = (user + nice + system + irq + softirq, idle + iowait, steal)
        return (machine, {pid: self._cpu(pid) for pid in self.worker_pids},
                {pid: self._cpu(pid) for pid in self._postgres_pids()}, time.process_time(), time.monotonic())

    @classmethod
    def _cpu(cls, pid: int) -> float:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / cls.TICK     # utime + stime

    def _postgres_pids(self) -> list[int]:
        try:
            postmaster = int((self.pg.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        pids = [postmaster]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == postmaster:
                            pids.append(int(entry))
                except (OSError, ValueError, IndexError):
                    pass
        return pids


def _utcnow() -> datetime:
    """Now as the database stores it (naive UTC)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def worker_throughput(pg: PostgresServer, tmp: Path, quick: bool) -> dict:
    """(e) Jobs per second from a backlog, with one worker and with two.

    Two workers are started once per hook and stopped (SIGSTOP) while each
    backlog (one service-task job per instance) is made; then one or both
    are continued and timed until the backlog is drained, by the audit
    trail's time of each call's outcome. Runs with one and with two
    alternate, ``rounds`` times, and the medians are compared: other load on
    a shared machine comes and goes, and hits both alike that way."""
    rounds = 1 if quick else 3
    kinds = {   # hook: (process file, jobs in a backlog, latency of the loopback service)
        "store": ("store_call.bpmn", 150 if quick else 400, None),
        "http": ("http_call.bpmn", 150 if quick else 400, 0.0),
        "http_50ms": ("http_call.bpmn", 60 if quick else 150, 0.05),
    }
    out = {}
    for kind, (bpmn, n, latency) in kinds.items():
        workdir = tmp / f"jobs-{kind}"
        baton = BatonInProcess(pg, f"jobs_{kind}", workdir)
        service = CountingService(latency=latency) if latency is not None else None
        pool = Workers(baton.url, workdir / "workers")
        try:
            baton.deploy(bpmn)
            key = "bench-store-call" if kind == "store" else "bench-http-call"
            pool.start(2)
            pool.wait_ready(timeout=120)
            runs: dict[int, list[dict]] = {1: [], 2: []}
            for r in range(rounds):
                for count in (1, 2):
                    pool.pause()
                    baton.start(key, [{"base": service.url if service else "", "case": f"r{r}-w{count}-{i}"}
                                      for i in range(n)])
                    runs[count].append(_drain(pg, baton, pool, pool.all[:count], n))
            row = out[kind] = {"jobs": n, "rounds": rounds}
            for count in (1, 2):
                by_rate = sorted(runs[count], key=lambda run: run["jobs_per_s"])
                middle = by_rate[len(by_rate) // 2]
                row[f"workers_{count}"] = {"jobs_per_s": middle["jobs_per_s"],
                                           "runs": [run["jobs_per_s"] for run in runs[count]], "cpu": middle["cpu"],
                                           "db_sessions": middle["db_sessions"]}
            row["speedup_2_over_1"] = round(row["workers_2"]["jobs_per_s"] / row["workers_1"]["jobs_per_s"], 2)
            if service:
                assert service.total() == 2 * n * rounds, (service.total(), n)
            print(f"  (e) jobs per second, {kind}:", row, flush=True)
        finally:
            pool.stop_all()
            if service:
                service.stop()
            baton.close()
    return out


def _drain(pg: PostgresServer, baton: BatonInProcess, pool: Workers, running: list, n: int) -> dict:
    """Continues the ``running`` workers on a backlog of ``n`` jobs; times them until it is drained."""
    assert baton.sql("SELECT count(*) FROM job")[0][0] == n
    waits: Counter = Counter()

    def drained() -> bool:
        # What the database sessions are doing, sampled: lock contention would show as "active: Lock".
        waits["samples"] += 1
        for state, wait in baton.sql("SELECT state, wait_event_type FROM pg_stat_activity "
                                     "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                                     "AND backend_type = 'client backend'"):
            waits[f"active: {wait or 'CPU'}" if state == "active" else state] += 1
        return baton.sql("SELECT count(*) FROM job")[0][0] == 0
    started_at = _utcnow()
    with CpuMeter(pg, [w.pid for w in running]) as meter:
        pool.resume(running)
        wait_until(drained, 60 + n, "the backlog drained", interval=0.05)
    [(done, last)] = baton.sql("SELECT count(*), max(at) FROM audit_event "
                               "WHERE type = 'service_call_succeeded' AND at > :t", t=started_at)
    unfinished = baton.sql("SELECT count(*) FROM instance WHERE status <> 'completed'")[0][0]
    assert done == n and unfinished == 0, f"{done} of {n} calls, {unfinished} instances unfinished\n{pool.logs()}"
    samples = waits.pop("samples") or 1
    return {"jobs_per_s": round(done / (last - started_at).total_seconds(), 1), "cpu": meter.result(done),
            # How many database sessions were in each state, on average over the samples.
            "db_sessions": {state: round(k / samples, 2) for state, k in waits.most_common()}}


def timer_delay(pg: PostgresServer, tmp: Path, quick: bool) -> dict:
    """(f) How late date timers fire, ``n`` of them due within ``spread`` seconds, by the real clock.

    The workers are started first (idle, they sleep until the next due job);
    the instances are then started with due times far enough ahead that all
    are waiting before the first falls due."""
    n, spread = (300, 20) if quick else (1000, 60)
    out = {}
    for count in ((1,) if quick else (1, 2)):
        workdir = tmp / f"timers-{count}"
        baton = BatonInProcess(pg, f"timers_{count}", workdir)
        pool = Workers(baton.url, workdir / "workers")
        try:
            baton.deploy("date_timer.bpmn")
            pool.start(count)
            pool.wait_ready(timeout=120)
            # Starting costs time; measured on a few instances due tomorrow (they stay waiting, out of the way).
            t = time.perf_counter()
            tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
            baton.start("bench-date-timer", [{"case": f"warm{i}", "due": tomorrow} for i in range(20)])
            per_start = (time.perf_counter() - t) / 20
            first = datetime.now(timezone.utc) + timedelta(seconds=3 + 1.5 * per_start * n)
            dues = [first + timedelta(seconds=spread * i / n) for i in range(n)]
            baton.start("bench-date-timer", [{"case": str(i), "due": due.isoformat()} for i, due in enumerate(dues)])
            late_start = (datetime.now(timezone.utc) - first).total_seconds()
            with CpuMeter(pg, [w.pid for w in pool.all]) as meter:
                wait_until(lambda: baton.sql("SELECT count(*) FROM instance WHERE status = 'completed'")[0][0] == n,
                           (dues[-1] - datetime.now(timezone.utc)).total_seconds() + 60, "all timers fired",
                           interval=0.2)
            fired = baton.sql("SELECT i.business_key, e.at FROM audit_event e JOIN instance i ON i.id = e.instance_id "
                              "WHERE e.type = 'step_completed' AND e.element = 'wait'")
            delays = sorted((at.replace(tzinfo=timezone.utc) - dues[int(case)]).total_seconds() * 1000
                            for case, at in fired if not case.startswith("warm"))
            assert len(delays) == n, (len(delays), n)
            out[f"workers_{count}"] = row = {
                "timers": n, "spread_s": spread, "median_ms": round(statistics.median(delays), 1),
                "p99_ms": round(_pct(delays, 99), 1), "max_ms": round(delays[-1], 1), "min_ms": round(delays[0], 1),
                "cpu": meter.result(n)}
            if late_start > 0:
                row["note"] = f"starting the instances ended {late_start:.1f} s after the first timer was due"
            print(f"  (f) timer delay, {count} worker(s):", row, flush=True)
        finally:
            pool.stop_all()
            baton.close()
    return out


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller counts, for trying the script")
    parser.add_argument("--workers-only", action="store_true", help="only (e) and (f), the worker processes")
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
                if args.workers_only:
                    break
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
            if pg:
                print("== postgresql: baton worker processes", flush=True)
                r = results.setdefault("postgresql", {})
                r["e_worker_throughput"] = worker_throughput(pg, tmp, args.quick)
                print("  (e) two workers over one (target ≥ 1.7):", {kind: row["speedup_2_over_1"]
                                                                     for kind, row in r["e_worker_throughput"].items()})
                r["f_timer_delay"] = timer_delay(pg, tmp, args.quick)
                print("  (f) p99 timer delay in ms (target < 1000):", {runs: row["p99_ms"]
                                                                      for runs, row in r["f_timer_delay"].items()})
        finally:
            if pg:
                pg.stop()
    if not args.workers_only:
        results["g_reminder_cycle"] = reminder_cycle(100 if args.quick else 400)
        print("  (g) daily reminder:", results["g_reminder_cycle"], flush=True)
    out = REPO / "bench-results"
    out.mkdir(exist_ok=True)
    path = out / f"bench-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2))
    if not args.workers_only:     # latest.json holds a whole run
        (out / "latest.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
