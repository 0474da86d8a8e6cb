"""Real ``baton worker`` processes and a loopback HTTP service that counts
the calls made to it: what the multi-worker tests on PostgreSQL
(tests/services/test_workers_on_postgres.py) and the benchmark
(scripts/benchmarks/bench.py) share.

Everything here runs for real, in real seconds: waits are polls with a
deadline (``wait_until``), never fixed sleeps.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import quoteattr

REPO = Path(__file__).resolve().parents[2]
WORKER = [sys.executable, "-m", "app.cli", "worker"]
READY_LINE = "baton worker: running"


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    """Polls ``predicate`` until it returns something true (returned), or fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not the case after {timeout:g} s: {what}")
        time.sleep(interval)


def new_database(postgres_server, prefix: str) -> str:
    """A fresh, migrated database on the session's PostgreSQL server; returns its URL."""
    from app.database import upgrade_schema

    url = postgres_server.create_database(f"{prefix}_{uuid.uuid4().hex[:8]}")
    upgrade_schema(url)
    return url


# --- the outside system -----------------------------------------------------------


class Hold:
    """One call held by the service until ``release`` is set; ``arrived`` is set when it comes."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()


class CountingService:
    """A loopback HTTP server standing in for an outside system.

    A call to ``/<element>/<case>`` is counted under ``(element, case)`` and
    answered ``{"element", "case", "call"}`` as JSON (``call`` counts from 1),
    after ``latency`` seconds. Calls listed in ``fail_first`` are answered 500
    the first time (a retryable failure for the http hook). ``hold(element,
    case)`` makes the next call for that pair wait until its hold is released.
    """

    def __init__(self, *, fail_first=(), latency: float = 0.0):
        self.calls: Counter[tuple[str, str]] = Counter()
        self.fail_first = set(fail_first)
        self.latency = latency
        self._holds: dict[tuple[str, str], Hold] = {}
        self._all_holds: list[Hold] = []
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                service._answer(self)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.request_queue_size = 128
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="counting-service", daemon=True)
        self._thread.start()

    def hold(self, element: str, case: str) -> Hold:
        hold = Hold()
        with self._lock:
            self._holds[(element, case)] = hold
            self._all_holds.append(hold)
        return hold

    def count(self, element: str, case: str) -> int:
        with self._lock:
            return self.calls[(element, case)]

    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        _, element, case = (request.path.split("?")[0].split("/", 2) + ["", ""])[:3]
        key = (element, case)
        with self._lock:
            self.calls[key] += 1
            call = self.calls[key]
            hold = self._holds.pop(key, None)
        if hold is not None:
            hold.arrived.set()
            hold.release.wait(timeout=120)
        if self.latency:
            time.sleep(self.latency)
        failing = call == 1 and key in self.fail_first
        body = json.dumps({"element": element, "case": case, "call": call}).encode()
        try:
            request.send_response(500 if failing else 200)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except OSError:
            pass     # the caller is gone (a worker killed while it waited)

    def stop(self) -> None:
        with self._lock:
            holds = list(self._all_holds)
        for hold in holds:
            hold.release.set()
        self._server.shutdown()
        self._server.server_close()


# --- the workers --------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, SIGKILL when the process that
    started it ends, so no worker outlives a test run or benchmark killed hard."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Worker:
    def __init__(self, proc: subprocess.Popen, log: Path):
        self.proc = proc
        self.log = log

    @property
    def pid(self) -> int:
        return self.proc.pid

    def ready(self) -> bool:
        return READY_LINE in self.output()

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None


class Workers:
    """``baton worker`` processes on one database, with the settings given
    (``BATON_JOB_LEASE_SECONDS="3"``, ...). Each one's output goes to a log
    file in ``workdir``. ``stop_all`` ends them all, whatever state they are in."""

    def __init__(self, database_url: str, workdir: Path, **settings: str):
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        loopback = "127.0.0.1,localhost"
        self.env = dict(os.environ, BATON_DATABASE_URL=database_url, BATON_INSTANCE_PATH=str(workdir / "instance"),
                        BATON_SECRET_KEY="workers", NO_PROXY=loopback, no_proxy=loopback, **settings)
        self.all: list[Worker] = []

    def start(self, n: int = 1) -> list[Worker]:
        started = []
        for _ in range(n):
            log = self.workdir / f"worker-{len(self.all) + 1}.log"
            with open(log, "wb") as out:
                proc = subprocess.Popen(WORKER, env=self.env, cwd=REPO, stdin=subprocess.DEVNULL,
                                        stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
            worker = Worker(proc, log)
            self.all.append(worker)
            started.append(worker)
        return started

    def wait_ready(self, workers: list[Worker] | None = None, timeout: float = 60) -> None:
        workers = self.all if workers is None else workers

        def all_ready():
            dead = [w for w in workers if not w.alive()]
            if dead:
                raise RuntimeError(f"worker {dead[0].pid} ended: {dead[0].output()[-2000:]}")
            return all(w.ready() for w in workers)
        wait_until(all_ready, timeout, "all workers ready", interval=0.02)

    def by_pid(self, pid: int) -> Worker | None:
        return next((w for w in self.all if w.pid == pid), None)

    def kill(self, worker: Worker) -> None:
        """SIGKILL: no clean-up, no lease given back."""
        worker.proc.send_signal(signal.SIGKILL)
        worker.proc.wait(timeout=30)

    def pause(self, workers: list[Worker] | None = None) -> None:
        """SIGSTOP: the workers stand still (between jobs, as the benchmark uses it) until ``resume``."""
        for w in self.all if workers is None else workers:
            if w.alive():
                w.proc.send_signal(signal.SIGSTOP)

    def resume(self, workers: list[Worker] | None = None) -> None:
        for w in self.all if workers is None else workers:
            if w.alive():
                w.proc.send_signal(signal.SIGCONT)

    def logs(self) -> str:
        return "\n".join(f"--- worker {w.pid} (exit {w.proc.poll()}):\n{w.output()[-3000:]}" for w in self.all)

    def stop_all(self, grace: float = 5.0) -> None:
        """SIGTERM (a worker finishes the job in hand), then SIGKILL for any still running after ``grace``."""
        try:
            self.resume()      # a stopped process acts on SIGTERM only once continued
            for w in self.all:
                if w.alive():
                    w.proc.terminate()
            deadline = time.monotonic() + grace
            for w in self.all:
                try:
                    w.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
        finally:
            for w in self.all:
                if w.alive():
                    w.proc.kill()
                    w.proc.wait(timeout=30)


# --- the process --------------------------------------------------------------------

SPIFF = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
         'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
         'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')


def _http_call(task_id: str, url: str, retries: int, incoming: str, outgoing: str) -> str:
    return f"""
    <bpmn:serviceTask id="{task_id}" name="Call {task_id}">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="http" resultVariable="{task_id}_answer">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="url" type="str" value={quoteattr(url)} />
          </spiffworkflow:parameters>
          <spiffworkflow:retry retries="{retries}" />
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>{incoming}</bpmn:incoming><bpmn:outgoing>{outgoing}</bpmn:outgoing>
    </bpmn:serviceTask>"""


def calls_and_timer_process(pid: str = "calls-and-timer", retries: int = 2) -> bytes:
    """start → service task ``first`` → timer ``pause`` → service task ``second`` → end.

    Both tasks call the ``http`` hook at ``base + '/<task>/' + case``; the
    timer waits for the duration in ``wait`` (ISO 8601, e.g. ``"PT1S"``).
    Start data: ``{"base": service URL, "case": a unique name, "wait": duration}``.
    """
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {SPIFF} id="{pid}_defs" targetNamespace="http://baton.example/tests">
  <bpmn:process id="{pid}" name="Two calls and a pause" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>{
    _http_call("first", "base + '/first/' + case", retries, "f1", "f2")}
    <bpmn:intermediateCatchEvent id="pause" name="Pause">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition id="pause_timer">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">wait</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>{
    _http_call("second", "base + '/second/' + case", retries, "f3", "f4")}
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first" />
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="pause" />
    <bpmn:sequenceFlow id="f3" sourceRef="pause" targetRef="second" />
    <bpmn:sequenceFlow id="f4" sourceRef="second" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()
