"""Fixtures for hook tests: contexts, and a real HTTP server on loopback."""
from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from app.hooks import HookContext

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def make_context():
    def make(secrets=None, attempt=1) -> HookContext:
        return HookContext(
            instance_id=7, task_id="task-1", element="call_crm", attempt=attempt, now=NOW, secrets=secrets or {}
        )

    return make


class Handler(BaseHTTPRequestHandler):
    """Answers by path; every request is recorded on the server so tests can
    check what was actually sent."""

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        self.answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        self.server.requests.append(
            {"method": self.command, "path": url.path, "headers": dict(self.headers.items()), "body": body}
        )
        route = getattr(self, "route_" + url.path.strip("/").replace("-", "_").split("/")[0], None)
        if route is None:
            self.send(404, b"no such route", "text/plain")
        else:
            route(url.path, query, body)

    def send(self, status, body: bytes, content_type, extra_headers=(), length=True):
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if length:
                self.send_header("Content-Length", str(len(body)))
            for name, value in extra_headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first: what a timeout test wants

    def route_json(self, path, query, body):
        self.send(200, json.dumps({"hello": "world", "n": 1}).encode(), "application/json",
                  [("X-Trace", "abc"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])

    def route_echo(self, path, query, body):
        echoed = {"method": self.command, "headers": dict(self.headers.items()), "body": body.decode()}
        self.send(200, json.dumps(echoed).encode(), "application/json")

    def route_text(self, path, query, body):
        size = int(query.get("size", 0))
        text = query.get("prefix", "") + query.get("char", "a") * size if size else "plain words"
        self.send(200, text.encode(), "text/plain; charset=utf-8")

    def route_bad_json(self, path, query, body):
        self.send(200, b"{not json", "application/json")

    def route_status(self, path, query, body):
        status = int(path.rsplit("/", 1)[1])
        self.send(status, ("E" * 200 + "TAIL").encode(), "text/plain")

    def route_slow(self, path, query, body):
        time.sleep(0.5)
        self.send(200, b"late", "text/plain")

    def route_trickle(self, path, query, body):
        """Headers at once, then a byte every 50 ms: each read is quick, the whole is not."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for _ in range(20):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def route_big(self, path, query, body):
        """Announces 2 MB but sends a few bytes: a client that reads before it
        checks the announced size fails differently (an incomplete body)."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(2 * 1024 * 1024))
            self.end_headers()
            self.wfile.write(b"tiny")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def route_unannounced(self, path, query, body):
        """3 MB with no Content-Length: only a reader that counts notices the size."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            chunk = b"x" * 65536
            for _ in range(48):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def route_redirect(self, path, query, body):
        self.send(302, b"", "text/plain", [("Location", query["to"])])


class LoopbackServer:
    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True  # a sleeping handler must not hold up teardown
        self.httpd.requests = []
        # A short poll so shutdown at teardown takes milliseconds, not the default half second.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def requests(self) -> list[dict]:
        return self.httpd.requests

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def no_proxy(monkeypatch):
    # urllib honours proxy variables; a loopback test must not go through one.
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server(no_proxy):
    with LoopbackServer() as running:
        yield running


@pytest.fixture
def other_server(no_proxy):
    """A second origin (another port), for redirects that leave the first."""
    with LoopbackServer() as running:
        yield running
