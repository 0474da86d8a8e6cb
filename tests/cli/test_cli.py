"""The ``baton`` command as a person runs it: a real process, a real SQLite file."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.bpmn import service_process

REPO = Path(__file__).resolve().parents[2]
BATON = [sys.executable, "-m", "app.cli"]


@pytest.fixture
def baton(tmp_path):
    env = dict(os.environ, BATON_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite'}",
               BATON_INSTANCE_PATH=str(tmp_path / "instance"))

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([*BATON, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
        if check:
            assert done.returncode == 0, done.stderr
        return done
    run("init-db")
    return run


def test_deploy_prints_one_line_per_definition_and_dedupes(baton):
    first = baton("deploy", "bpmn/service-request")
    assert first.stdout.strip() == "service-request v1 (new)"
    again = baton("deploy", "bpmn/service-request")
    assert again.stdout.strip() == "service-request v1 (unchanged)"
    dry = baton("deploy", "--dry-run", "bpmn/service-request")
    assert dry.stdout.splitlines() == ["service-request v1 (unchanged)", "dry run: nothing deployed"]


def test_an_invalid_bundle_lists_its_problems_and_deploys_nothing(baton, tmp_path):
    bad = tmp_path / "bpmn" / "broken"
    bad.mkdir(parents=True)
    (bad / "broken.bpmn").write_text('<?xml version="1.0"?>\n<definitions>\n  <process id="x">\n</definitions>\n')
    done = baton("deploy", str(bad), "bpmn/service-request", check=False)
    assert done.returncode == 1
    assert "broken.bpmn:4:" in done.stderr and "nothing deployed" in done.stderr
    assert "service-request" not in done.stdout
    assert "service-request" not in baton("instances").stdout
    assert baton("deploy", "--dry-run", "bpmn/service-request").stdout.splitlines() == \
        ["service-request v1 (new)", "dry run: nothing deployed"]


def test_validate(baton, tmp_path):
    assert baton("validate", "bpmn/service-request").returncode == 0
    empty = tmp_path / "nothing.bpmn"
    empty.write_text('<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
                     ' id="d" targetNamespace="t"><bpmn:process id="p" isExecutable="false"/></bpmn:definitions>')
    done = baton("validate", str(empty), check=False)
    assert done.returncode == 1 and "no executable process" in done.stderr
    assert done.stderr.startswith("nothing.bpmn:1: ")


def test_users_tokens_and_the_instance_list(baton):
    token = baton("user", "add", "dave", "--group", "service-desk", "--role", "owner", "--password", "pw").stdout.strip()
    assert token.startswith("bt_") and len(token) > 30
    assert baton("user", "token", "dave").stdout.strip() != token
    unknown = baton("user", "token", "nobody", check=False)
    assert unknown.returncode == 1 and "nobody" in unknown.stderr
    bad_role = baton("user", "add", "eve", "--role", "king", check=False)
    assert bad_role.returncode == 2 and "king" in bad_role.stderr
    assert "ID" in baton("instances").stdout


def test_a_database_without_schema_is_one_clear_line(tmp_path):
    env = dict(os.environ, BATON_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite'}",
               BATON_INSTANCE_PATH=str(tmp_path))
    done = subprocess.run([*BATON, "instances"], env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "baton init-db" in done.stderr and "Traceback" not in done.stderr


def test_serve_answers_over_http(baton, tmp_path):
    import time

    import requests

    from tests.support.postgres import free_port

    port = free_port()
    env = dict(os.environ, BATON_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite'}",
               BATON_INSTANCE_PATH=str(tmp_path / "instance"), BATON_ACCESS_LOG="0")
    server = subprocess.Popen([*BATON, "serve", "--port", str(port), "--no-worker"], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, answer = time.time() + 60, None
        while time.time() < deadline and answer is None:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).json()
            except requests.RequestException:
                time.sleep(0.2)
        assert answer == {"status": "ok", "database": "ok"}
        assert requests.get(f"http://127.0.0.1:{port}/api/v1/tasks", timeout=5).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_worker_calls_hooks_and_incidents_are_listed_and_retried(baton, tmp_path):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen = []

    class Register(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            status = 200 if self.path.endswith("LT-1") else 404
            body = json.dumps({"tag": self.path.rsplit("/", 1)[-1], "owner": "ann"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Register)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        folder = tmp_path / "ping"
        folder.mkdir()
        (folder / "ping.bpmn").write_bytes(service_process(
            "ping", "http", {"url": f"'http://127.0.0.1:{server.server_port}/assets/' + tag"}, retries=0))
        baton("deploy", str(folder))
        app = _app_for(tmp_path)
        from app.services import instances, users

        with app.app_context():
            ann, _ = users.add_user("ann")
            found = instances.start_instance("ping", ann, data={"tag": "LT-1"})
            lost = instances.start_instance("ping", ann, data={"tag": "LT-404"})
        assert seen == []                               # nothing is called while starting
        assert baton("worker", "--once").stdout.strip() == "2 job(s) run"
        assert sorted(seen) == ["/assets/LT-1", "/assets/LT-404"]
        listed = baton("instances").stdout
        assert f"{found.id:>6}  ping" in listed and "completed" in listed and "failed" in listed

        incidents = baton("incidents", "list").stdout.splitlines()
        assert len(incidents) == 2 and "call" in incidents[1] and "404" in incidents[1]
        incident_id = incidents[1].split()[0]
        assert baton("incidents", "retry", incident_id).stdout.strip() == f"instance {lost.id}: running"
        assert baton("incidents", "retry", incident_id, check=False).returncode == 1
        assert baton("worker", "--once").stdout.strip() == "1 job(s) run"
        assert seen.count("/assets/LT-404") == 2
    finally:
        server.shutdown()


def _app_for(tmp_path):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cli.sqlite'}",
                       "INSTANCE_PATH": str(tmp_path / "instance")})


def test_message_starts_and_delivers_and_explains_what_it_refuses(baton):
    email = REPO / "tests" / "engine" / "data" / "messages" / "camunda_inbound_email.bpmn"
    baton("deploy", str(email))
    started = baton("message", "email_received", "--data", '{"sender": "ann@example.org"}', "--id", "mail-1")
    assert started.stdout.strip() == "delivered to: -; started: 1"
    again = baton("message", "email_received", "--id", "mail-1")
    assert "applied before" in again.stdout and "started: 1" in again.stdout
    assert "camunda_inbound_email" in baton("instances").stdout
    nobody = baton("message", "nobody_waits", "--correlation", "ticket_id=7", check=False)
    assert nobody.returncode == 1 and "Nothing waits for message 'nobody_waits'" in nobody.stderr
    bad = baton("message", "email_received", "--data", "{oops", "--correlation", "novalue", check=False)
    assert bad.returncode == 1
    assert "--data: not JSON" in bad.stderr and "--correlation 'novalue': write PROPERTY=VALUE" in bad.stderr


def test_records_are_put_read_listed_and_deleted(baton):
    put = baton("records", "put", "change-settings", "cab", '{"members": ["carl", "cleo"]}')
    assert put.stdout.strip() == 'change-settings/cab: {"members": ["carl", "cleo"]}'
    assert json.loads(baton("records", "get", "change-settings", "cab").stdout) == {"members": ["carl", "cleo"]}
    baton("records", "put", "assets", "LT-2", '{"model": "X1"}')
    baton("records", "put", "assets", "LT-1", '{"model": "T14"}')
    assert baton("records", "list").stdout.split() == ["assets", "2", "change-settings", "1"]
    assert [line.split()[0] for line in baton("records", "list", "assets").stdout.splitlines()] == ["LT-1", "LT-2"]
    assert baton("records", "delete", "assets", "LT-1").stdout.strip() == "deleted assets/LT-1"
    # Mistakes are told in one line each, and change nothing.
    for args, said in [(("put", "assets", "LT-3", "{oops"), "JSON: not JSON"),
                       (("put", "assets", "LT-3", "[1, 2]"), "value: "),
                       (("put", "bad name", "LT-3", "{}"), "collection: "),
                       (("get", "assets", "LT-1"), "no record 'LT-1' in 'assets'"),
                       (("delete", "assets", "LT-1"), "no record 'LT-1' in 'assets'")]:
        refused = baton("records", *args, check=False)
        assert refused.returncode == 1 and refused.stderr.startswith(said), (args, refused.stderr)
    assert baton("records", "list").stdout.split() == ["assets", "1", "change-settings", "1"]
