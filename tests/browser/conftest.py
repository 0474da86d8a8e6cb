"""Browser tests: Playwright drives Debian's chromium against a live Baton.

``live_server`` is a fresh app (its own SQLite file, the test's FrozenClock)
served by a threaded werkzeug server on a loopback port, in a thread of the
test process. The app is the same ``create_app`` that ``baton serve`` runs
under gunicorn (tests/cli checks that command itself); being in-process lets
a test create people and move the clock directly while the browser works.

``baton_serve`` is the other way round: a real ``baton serve`` process set
up as scripts/run does it (the shipped processes, the demo users with their
passwords, the embedded job worker), for the tests that follow a case from end
to end as people do; ``desk_page`` is a browser page for them (tests/browser/desk.py
has the steps people take there).

``page`` fails its test at teardown if the page broke a Content-Security-Policy
rule or threw a JavaScript error, so the CSP stays as tight as the pages allow.
Screenshots go to the git-ignored test-artifacts/ (``artifacts.screenshot``);
a failing test leaves one named ``failed-<test>.png``.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app import create_app
from app.clock import FrozenClock
from app.models import db
from app.services import users
from tests.support.serve import BatonServer

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}


@dataclass
class LiveServer:
    url: str
    app: Flask
    clock: FrozenClock

    def user(self, username: str, *groups: str, password: str = "secret", role: str | None = None,
             display_name: str | None = None) -> int:
        """Creates (or updates) a person who can sign in; returns their id."""
        with self.app.app_context():
            user, _token = users.add_user(username, groups=list(groups), role=role, password=password,
                                          display_name=display_name)
            return user.id


@pytest.fixture
def live_server(sqlite_url, clock, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SECRET_KEY": "browser-tests", "BATON_CLOCK": clock})
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request in the test output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, clock=clock)
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@dataclass
class ServedBaton:
    url: str
    passwords: dict[str, str]   # the demo users'
    server: BatonServer


def _shipped_processes() -> list[Path]:
    """Every folder in bpmn/, as scripts/run deploys them; BATON_TEST_PROCESSES
    (keys, comma-separated) narrows it while one process is being written."""
    folders = [p for p in (REPO / "bpmn").iterdir() if p.is_dir()]
    only = {key.strip() for key in os.environ.get("BATON_TEST_PROCESSES", "").split(",") if key.strip()}
    return [p for p in folders if not only or p.name in only]


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Path:
    """A folder holding what scripts/run sets up before it serves (the database
    with every shipped process deployed, the demo users and their passwords),
    made once per test process: each test serves a copy of it."""
    folder = tmp_path_factory.mktemp("installed")
    setup = BatonServer(f"sqlite:///{folder / 'baton.sqlite'}", folder)
    setup.baton("deploy", *sorted(str(p) for p in _shipped_processes()))
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "demo_users.py")], env=setup.env,
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture
def baton_serve(installed, tmp_path):
    workdir = tmp_path / "instance"
    shutil.copytree(installed, workdir)
    # The worker looks for due jobs often, so a notification or message sent by
    # one step is there by the time the next person looks.
    server = BatonServer(f"sqlite:///{workdir / 'baton.sqlite'}", workdir, init_db=False,
                         BATON_WORKER_POLL_SECONDS="0.2")
    lines = (workdir / "demo-users.txt").read_text().splitlines()
    passwords = dict(line.split(" ", 1) for line in lines)
    server.start(worker=True)
    yield ServedBaton(url=server.url, passwords=passwords, server=server)
    server.stop()


@pytest.fixture
def desk_page(browser, baton_serve, request, artifacts):
    """A page on ``baton_serve``. Every JavaScript error and failed request is
    kept in ``page.errors``; a test asserts on them at its end, as some answers
    (422 for a mistake, 403 for a stranger) are meant."""
    context = browser.new_context(viewport=VIEWPORT, base_url=baton_serve.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
    yield page
    _keep_screenshot_if_failed(request, artifacts, page)
    context.close()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing: run scripts/setup")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium when run as root")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run: {reason}")
    pytest.skip(reason)


@dataclass
class PageProblems:
    """What a page did wrong while a test drove it."""
    csp_violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def on_console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def on_page_error(self, error) -> None:
        self.errors.append(str(error))


@pytest.fixture
def page(browser, live_server, request, artifacts):
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = PageProblems()
    page.on("console", problems.on_console)
    page.on("pageerror", problems.on_page_error)
    page.problems = problems
    yield page
    _keep_screenshot_if_failed(request, artifacts, page)
    context.close()
    assert not problems.csp_violations, f"the page broke its Content-Security-Policy: {problems.csp_violations}"
    assert not problems.errors, f"the page threw JavaScript errors: {problems.errors}"


def _keep_screenshot_if_failed(request, artifacts, page) -> None:
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        artifacts.screenshot(page, f"failed-{request.node.name}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Lets the page fixture see whether the test itself failed.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


class Artifacts:
    def __init__(self, folder: Path):
        self.folder = folder

    def screenshot(self, page, name: str, full_page: bool = True) -> Path:
        """Saves test-artifacts/<name>.png and returns its path; look at it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture(scope="session")
def artifacts() -> Artifacts:
    return Artifacts(ARTIFACTS)


@pytest.fixture
def sign_in(page, live_server):
    """Signs a person in through the sign-in page: ``sign_in("ann", "secret")``."""
    def sign_in_as(username: str, password: str = "secret", path: str = "/login"):
        page.goto(path)
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
    return sign_in_as
