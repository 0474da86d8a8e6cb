"""The ``baton`` command as a person runs it: a real process, a real SQLite file."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert dry.stdout.strip() == "service-request v1 (unchanged)"


def test_an_invalid_bundle_lists_its_problems_and_deploys_nothing(baton, tmp_path):
    bad = tmp_path / "bpmn" / "broken"
    bad.mkdir(parents=True)
    (bad / "broken.bpmn").write_text('<?xml version="1.0"?>\n<definitions>\n  <process id="x">\n</definitions>\n')
    done = baton("deploy", str(bad), "bpmn/service-request", check=False)
    assert done.returncode == 1
    assert "broken.bpmn:4:" in done.stderr and "nothing deployed" in done.stderr
    assert "service-request" not in done.stdout
    assert "service-request" not in baton("instances").stdout
    assert baton("deploy", "--dry-run", "bpmn/service-request").stdout.strip() == "service-request v1 (new, dry run)"


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
