"""Several real ``baton worker`` processes sharing one PostgreSQL database.

A loopback HTTP service stands in for the outside system and counts the
calls it gets per instance and service task; the audit trail says how many
attempts the workers made. The two must agree: with any number of workers,
each hook call happens once per attempt. A worker killed in the middle of a
call loses its job when the lease runs out, and another worker finishes it.

These run in real seconds (timers, leases, retry backoff, processes), so
they wait by polling the database with a deadline; nothing asserts on timing.
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.models import User, db
from app.services import deployments, instances, users
from tests.support.workers import CountingService, Workers, calls_and_timer_process, new_database, wait_until

pytestmark = pytest.mark.postgres

PROCESS = "calls-and-timer"
CALLS = ("first", "second")


@pytest.fixture
def database(postgres_server) -> str:
    return new_database(postgres_server, "workers")


@pytest.fixture
def baton(database, tmp_path):
    """The app in this process: it deploys and starts instances; the workers run them."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SECRET_KEY": "test", "TESTING": True})
    with app.app_context():
        admin, _ = users.add_user("admin", role="admin")
        deployments.deploy({"calls.bpmn": calls_and_timer_process(PROCESS)}, admin, source="test")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def sql(database):
    """Plain statements on the test database, each seeing what is committed now."""
    engine = sa.create_engine(database, isolation_level="AUTOCOMMIT")

    def run(statement: str, **params) -> list[sa.Row]:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(statement), params))
    yield run
    engine.dispose()


@pytest.fixture
def services():
    started: list[CountingService] = []

    def start(**options) -> CountingService:
        started.append(CountingService(**options))
        return started[-1]
    yield start
    for service in started:
        service.stop()


@pytest.fixture
def workers(database, tmp_path):
    """Starts ``baton worker`` processes on the test database; all are ended in teardown, whatever happened."""
    pools: list[Workers] = []

    def start(n: int, **settings: str) -> Workers:
        pool = Workers(database, tmp_path / f"workers-{len(pools) + 1}", **settings)
        pools.append(pool)
        pool.start(n)
        return pool
    yield start
    for pool in pools:
        pool.stop_all(grace=0)     # SIGKILL at once: nothing here needs a clean exit


def _start(app, service: CountingService, cases: list[str], wait: str = "PT1S") -> dict[str, int]:
    """Starts one instance per case (the case is also its business key); returns case → instance id."""
    ids = {}
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
        for case in cases:
            instance = instances.start_instance(PROCESS, admin, data={"base": service.url, "case": case, "wait": wait},
                                                business_key=case)
            ids[case] = instance.id
        db.session.remove()
    return ids


def _statuses(sql) -> Counter:
    return Counter({status: n for status, n in sql("SELECT status, count(*) FROM instance GROUP BY status")})


def _wait_for_completion(sql, pool: Workers, n: int, timeout: float) -> None:
    def done():
        statuses = _statuses(sql)
        if statuses["failed"]:
            incidents = sql("SELECT instance_id, element, message FROM incident")
            raise AssertionError(f"instances failed: {incidents}\n{pool.logs()}")
        return statuses["completed"] == n
    try:
        wait_until(done, timeout, f"{n} instances completed", interval=0.2)
    except TimeoutError as late:
        raise AssertionError(f"{late}: {dict(_statuses(sql))}, jobs left: "
                             f"{sql('SELECT kind, element, attempts, locked_by FROM job')}\n{pool.logs()}") from None


def _audited_calls(sql) -> Counter:
    """(business key, element, event type) → how many audit events."""
    found = sql("SELECT i.business_key, e.element, e.type, count(*) FROM audit_event e "
                "JOIN instance i ON i.id = e.instance_id "
                "WHERE e.type IN ('service_call_succeeded', 'service_call_failed') "
                "GROUP BY i.business_key, e.element, e.type")
    return Counter({(case, element, type_): n for case, element, type_, n in found})


def test_four_workers_run_200_instances_and_call_each_service_once_per_attempt(baton, services, workers, sql):
    cases = [f"c{i:03d}" for i in range(200)]
    # Some calls fail once (500: retryable) and succeed on the next attempt, 10 s later (jobs.BACKOFF_BASE).
    # The first cases started are the ones, so that the wait overlaps the other cases' work.
    fail_once = {("first", case) for case in cases[:10]} | {("second", case) for case in cases[10:20]}
    service = services(fail_first=fail_once)
    pool = workers(4, BATON_WORKER_POLL_SECONDS="0.2")

    ids = _start(baton, service, cases)
    _wait_for_completion(sql, pool, len(cases), timeout=200)

    assert all(w.alive() for w in pool.all), pool.logs()
    assert sql("SELECT count(*) FROM job")[0][0] == 0
    assert sql("SELECT count(*) FROM incident")[0][0] == 0
    audited = _audited_calls(sql)
    for case in cases:
        for element in CALLS:
            failed, succeeded = audited[(case, element, "service_call_failed")], \
                audited[(case, element, "service_call_succeeded")]
            # The audit trail and the outside system agree: one call per attempt.
            assert service.count(element, case) == failed + succeeded, (case, element, failed, succeeded)
            assert (failed, succeeded) == ((1, 1) if (element, case) in fail_once else (0, 1)), (case, element)
    assert service.total() == 2 * len(cases) + len(fail_once)
    # Each case went through its timer once, and its second call came after it (in the audit trail's order).
    paused = sql("SELECT instance_id, count(*) FROM audit_event WHERE element = 'pause' AND type = 'step_completed' "
                 "GROUP BY instance_id")
    assert sorted(paused) == sorted((i, 1) for i in ids.values())
    assert sql("SELECT count(*) FROM instance i WHERE "
               "(SELECT min(id) FROM audit_event WHERE instance_id = i.id AND element = 'second') < "
               "(SELECT id FROM audit_event WHERE instance_id = i.id AND element = 'pause' AND type = 'step_completed')"
               )[0][0] == 0
    answers = sql("SELECT business_key, data FROM instance")
    for case, data in answers:
        for element in CALLS:
            expected = 2 if (element, case) in fail_once else 1
            assert data[f"{element}_answer"]["json"] == {"element": element, "case": case, "call": expected}


def test_a_worker_killed_mid_call_loses_its_job_to_another_after_the_lease(baton, services, workers, sql):
    service = services()
    stuck = service.hold("first", "slow")
    lease = 4
    pool = workers(2, BATON_JOB_LEASE_SECONDS=str(lease), BATON_WORKER_POLL_SECONDS="0.2")
    # The other cases first: their jobs are older, so no worker holds one of them in its batch
    # behind the slow call (a batch shares one lease), and the test's short lease is enough for them.
    ids = _start(baton, service, [f"other{i}" for i in range(10)] + ["slow"])

    assert stuck.arrived.wait(timeout=60), f"the slow call never came\n{pool.logs()}"
    [(locked_by, locked_until, attempts)] = sql(
        "SELECT locked_by, locked_until, attempts FROM job WHERE instance_id = :id AND element = 'first'",
        id=ids["slow"])
    victim = pool.by_pid(int(locked_by.rsplit(":", 1)[1]))
    assert victim is not None and victim.alive(), (locked_by, pool.logs())

    again = service.hold("first", "slow")
    pool.kill(victim)
    stuck.release.set()             # its answer goes nowhere: the caller is dead
    # Nobody may take the job before its lease runs out; then another worker does.
    assert again.arrived.wait(timeout=lease + 60), f"the job was not taken over\n{pool.logs()}"
    [(taken_by, taken_until, attempts_now)] = sql(
        "SELECT locked_by, locked_until, attempts FROM job WHERE instance_id = :id AND element = 'first'",
        id=ids["slow"])
    heir = pool.by_pid(int(taken_by.rsplit(":", 1)[1]))
    assert heir is not None and heir is not victim and heir.alive()
    # It was claimed once the victim's lease had run out (a claim leases until its moment + the lease),
    # and the lost attempt left no trace.
    assert taken_until - timedelta(seconds=lease) > locked_until and attempts_now == attempts == 0
    again.release.set()

    _wait_for_completion(sql, pool, len(ids), timeout=120)
    audited = _audited_calls(sql)
    # The outside system saw the lost call and its repetition; the audit trail one successful call.
    assert service.count("first", "slow") == 2
    assert (audited[("slow", "first", "service_call_succeeded")], audited[("slow", "first", "service_call_failed")]) \
        == (1, 0)
    for case in ids:
        for element in CALLS:
            if (element, case) != ("first", "slow"):
                assert service.count(element, case) == audited[(case, element, "service_call_succeeded")] == 1
    assert sql("SELECT count(*) FROM job")[0][0] == 0
    assert not victim.alive() and all(w.alive() for w in pool.all if w is not victim)
