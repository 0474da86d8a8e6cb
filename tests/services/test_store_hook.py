"""The built-in ``store`` hook: real processes whose service task reads and
writes records, run by the worker; and the hook's answers to each action
(API.md's name; ``operation`` is another) and to parameters it refuses."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

import app.services.store_hook  # noqa: F401 - registers "store", as the worker's load_hooks does
from app.hooks import BpmnError, HookContext, HookFailed, call_hook, default_registry
from app.models import Incident, Instance, db
from app.services import instances, jobs, records
from tests.support.bpmn import service_process

REPO = Path(__file__).resolve().parents[2]
LOOKUP = {"action": "'get'", "collection": "'assets'", "key": "tag", "required": "True"}
REGISTER = {"action": "'put'", "collection": "'assets'", "key": "tag",
            "value": "{'model': model, 'owner': owner}"}


@pytest.fixture
def run_process(app_ctx, deploy, make_user):
    """run_process(pid, params, data) deploys a one-step process using the
    store hook, starts it, lets the worker run it, and returns the instance."""
    ann = make_user("ann")

    def run(pid: str, params: dict[str, str], data: dict) -> Instance:
        deploy({f"{pid}.bpmn": service_process(pid, "store", params, retries=0)})
        started = instances.start_instance(pid, ann, data=data)
        db.session.remove()
        assert jobs.run_due("w1") == 1
        db.session.remove()
        return db.session.get(Instance, started.id)
    return run


def call(**params):
    context = HookContext(instance_id=1, task_id="t1", element="call", now=datetime.now(timezone.utc))
    return call_hook(default_registry, "store", params, context)


def test_the_worker_loads_the_hook():
    # In a fresh interpreter: this module's own import must not be what registers it.
    check = ("from app.hooks import default_registry; from app.worker import load_hooks; "
             "assert 'store' not in default_registry; load_hooks(); assert 'store' in default_registry")
    subprocess.run([sys.executable, "-c", check], cwd=REPO, check=True)


def test_a_process_reads_a_record_into_its_data(run_process):
    records.put("assets", "A-1", {"model": "X1", "owner": "ann"})
    instance = run_process("lookup", LOOKUP, {"tag": "A-1"})
    assert instance.status == "completed"
    assert instance.data["answer"] == {"model": "X1", "owner": "ann"}


def test_a_missing_required_record_is_an_incident_naming_the_key(run_process):
    instance = run_process("lookup", LOOKUP, {"tag": "A-404"})
    assert instance.status == "failed"
    [incident] = db.session.scalars(sa.select(Incident)).all()
    assert incident.element == "call"
    assert "no record 'A-404' in 'assets'" in incident.message
    assert incident.attempts == 1                        # not retried: the record will not appear by itself


def test_a_missing_optional_record_is_none(run_process):
    instance = run_process("maybe", {**LOOKUP, "required": "False"}, {"tag": "A-404"})
    assert instance.status == "completed" and instance.data["answer"] is None


def test_a_record_put_by_one_process_is_read_by_another(run_process):
    registered = run_process("register", REGISTER, {"tag": "A-7", "model": "X9", "owner": "bob"})
    assert registered.status == "completed"
    assert registered.data["answer"] == {"model": "X9", "owner": "bob"}

    looked_up = run_process("lookup", LOOKUP, {"tag": "A-7"})
    assert looked_up.status == "completed"
    assert looked_up.data["answer"] == {"model": "X9", "owner": "bob"}


def test_a_process_queries_and_deletes(run_process):
    records.put("licences", "L-1", {"product": "CAD", "free": True})
    records.put("licences", "L-2", {"product": "CAD", "free": False})
    records.put("licences", "L-3", {"product": "CAD", "free": True})
    found = run_process("find", {"action": "'query'", "collection": "'licences'",
                                 "where": "{'product': product, 'free': True}", "limit": "1"},
                        {"product": "CAD"})
    assert found.data["answer"] == [{"key": "L-1", "value": {"product": "CAD", "free": True}}]

    deleted = run_process("release", {"action": "'delete'", "collection": "'licences'", "key": "'L-1'"}, {})
    assert deleted.data["answer"] == {"deleted": True}
    assert records.get("licences", "L-1") is None


def test_a_bad_parameter_is_an_incident_at_once(run_process):
    instance = run_process("broken", {**REGISTER, "value": "'not an object'"}, {"tag": "A-1"})
    assert instance.status == "failed"
    message = db.session.scalar(sa.select(Incident.message))
    assert "parameter 'value'" in message and "JSON object" in message


# --- the hook called directly ---

def test_each_operation_answers_plain_json(app_ctx):
    assert call(action="put", collection="assets", key="A-1", value={"n": (1, 2)}) == {"n": [1, 2]}
    assert call(action="get", collection="assets", key="A-1") == {"n": [1, 2]}
    assert call(action="get", collection="assets", key="A-2") is None
    assert call(action="query", collection="assets") == [{"key": "A-1", "value": {"n": [1, 2]}}]
    assert call(action="query", collection="assets", where=None, limit=None) == \
        [{"key": "A-1", "value": {"n": [1, 2]}}]
    assert call(action="delete", collection="assets", key="A-1") == {"deleted": True}
    assert call(action="delete", collection="assets", key="A-1") == {"deleted": False}


def test_update_changes_fields_and_a_failed_expectation_is_the_store_conflict_error(app_ctx):
    call(action="put", collection="assets", key="A-1", value={"status": "available", "holder": None})
    assert call(action="update", collection="assets", key="A-1", expect={"status": "available"},
                set={"status": "on_loan", "holder": "ann"}) == {"status": "on_loan", "holder": "ann"}
    with pytest.raises(BpmnError) as conflict:
        call(action="update", collection="assets", key="A-1", expect={"status": "available"},
             set={"holder": "bob"})
    assert conflict.value.code == "store-conflict" and "expected 'available'" in conflict.value.message
    with pytest.raises(HookFailed, match="'add'"):
        call(action="update", collection="assets", key="A-1", add={"holder": 1})


def test_next_counts_each_sequence_on_its_own(app_ctx):
    assert [call(action="next", collection="sequences", key="incident") for _ in range(3)] == [1, 2, 3]
    assert call(action="next", collection="sequences", key="problem") == 1
    assert call(action="get", collection="sequences", key="incident") == {"last": 3}
    call(action="put", collection="sequences", key="odd", value={"last": "x"})
    with pytest.raises(HookFailed, match="not a sequence"):
        call(action="next", collection="sequences", key="odd")


def test_two_threads_asking_at_once_get_different_numbers(app):
    import threading

    numbers, errors = [], []

    def ask():
        with app.app_context():
            try:
                for _ in range(10):
                    numbers.append(call(action="next", collection="sequences", key="incident"))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()
    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(numbers) == list(range(1, 31))


def test_operation_is_another_name_for_the_action(app_ctx):
    call(action="put", collection="assets", key="A-1", value={"n": 1})
    assert call(operation="get", collection="assets", key="A-1") == {"n": 1}
    assert call(operation="query", collection="assets", where={"n": 1}) == [{"key": "A-1", "value": {"n": 1}}]


@pytest.mark.parametrize("params, named", [
    ({}, "action"),
    ({"action": "next", "collection": "sequences"}, "key"),
    ({"action": "fetch", "collection": "assets"}, "action"),
    ({"action": ["get"], "collection": "assets"}, "action"),
    ({"operation": "fetch", "collection": "assets"}, "operation"),
    ({"action": "get", "operation": "get", "collection": "assets", "key": "A-1"}, "action"),
    ({"action": "get", "key": "A-1"}, "collection"),
    ({"action": "get", "collection": "assets"}, "key"),
    ({"action": "put", "collection": "assets", "key": "A-1"}, "value"),
    ({"action": "put", "collection": "assets", "key": "A-1", "value": [1]}, "value"),
    ({"action": "put", "collection": "assets", "key": "A-1", "value": {"x": "y" * 70_000}}, "value"),
    ({"action": "get", "collection": "bad name", "key": "A-1"}, "collection"),
    ({"action": "get", "collection": "assets", "key": 7}, "key"),
    ({"action": "get", "collection": "assets", "key": "A-1", "required": "yes"}, "required"),
    ({"action": "query", "collection": "assets", "where": "model == 'X1'"}, "where"),
    ({"action": "query", "collection": "assets", "limit": 5000}, "limit"),
    ({"action": "get", "collection": "assets", "key": "A-1", "where": {}}, "where"),
    ({"action": "query", "collection": "assets", "key": "A-1"}, "key"),
    ({"action": "delete", "collection": "assets", "key": "A-1", "colour": "red"}, "colour"),
])
def test_bad_parameters_fail_for_good_naming_the_parameter(app_ctx, params, named):
    with pytest.raises(HookFailed) as failed:
        call(**params)
    assert failed.value.retryable is False
    assert repr(named) in failed.value.message
    assert records.collections() == {}


def test_a_database_failure_is_worth_retrying(app_ctx, monkeypatch):
    def unreachable(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT ...", {}, ConnectionRefusedError("connection refused\nmore detail"))

    monkeypatch.setattr(records.db.session, "scalars", unreachable)
    with pytest.raises(HookFailed) as failed:
        call(action="get", collection="assets", key="A-1")
    assert failed.value.retryable is True
    assert failed.value.message == "store hook: the database failed: ConnectionRefusedError: connection refused"
