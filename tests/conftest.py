"""Fixtures: a fresh Baton app per test on a real SQLite file or a real
PostgreSQL server, a clock the test moves, users with tokens, and an HTTP
client talking to the app.

scripts/test runs the suite on every core with pytest-xdist. Each worker is a
pytest session of its own, so the session fixtures here give every worker its
own migrated SQLite template (in the worker's own basetemp), its own throwaway
PostgreSQL server (on a port from tests/support/postgres.free_port, which no
other worker is given) and its own browser; servers the tests start listen on
port 0 or on a free_port port. Nothing is shared between workers."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
import werkzeug.security

# Passwords are hashed with a cheap scrypt in the test processes: the default
# (scrypt, N=32768) takes some 0.2 s per hash and per sign-in, which is most of
# the time of the page tests that make people who sign in. The hashes are still
# real scrypt hashes, checked by the same code; ``baton`` processes that tests
# start (tests/cli, the browser tests' ``baton serve``) keep the default.
TEST_PASSWORD_HASH = "scrypt:1024:8:1"
_generate_password_hash = werkzeug.security.generate_password_hash


def _test_password_hash(password: str, method: str = TEST_PASSWORD_HASH, salt_length: int = 16) -> str:
    return _generate_password_hash(password, method=method, salt_length=salt_length)


werkzeug.security.generate_password_hash = _test_password_hash   # before app imports it

from app import create_app  # noqa: E402
from app.clock import FrozenClock  # noqa: E402
from app.database import upgrade_schema  # noqa: E402
from app.models import db  # noqa: E402
from tests.support.postgres import PostgresServer, find_bin_dir  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file; each test gets a copy, which is faster than migrating."""
    path = tmp_path_factory.mktemp("template") / "baton.sqlite"
    upgrade_schema(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_server():
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries not found; CI must run the PostgreSQL tests")
        pytest.skip("PostgreSQL binaries not found")
    server = PostgresServer(bin_dir).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server) -> str:
    url = postgres_server.create_database(f"baton_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
    upgrade_schema(url)
    return url


# What TRUNCATE ... RESTART IDENTITY did, in a tenth of the time on tables this
# small: every row gone (children first), every sequence back at its start.
_RESTART_SEQUENCES = ("SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), start_value, false) "
                      "FROM pg_sequences WHERE schemaname = current_schema()")


def _empty_all(engine: sa.Engine) -> None:
    deletes = "".join(f'DELETE FROM "{t.name}";' for t in reversed(db.metadata.sorted_tables))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(deletes + _RESTART_SEQUENCES)
    except sa.exc.DBAPIError:   # say, a cycle of foreign keys that DELETE cannot untie
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="session")
def _postgres_engine(postgres_url):
    """One engine for emptying the database between tests (connecting anew each time costs)."""
    engine = sa.create_engine(postgres_url, pool_size=1)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path, sqlite_template) -> str:
    if request.param == "sqlite":
        path = tmp_path / "baton.sqlite"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    engine = request.getfixturevalue("_postgres_engine")
    _empty_all(engine)
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    path = tmp_path / "baton.sqlite"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def app(database_url, clock, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SECRET_KEY": "test", "TESTING": True, "BATON_CLOCK": clock})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def make_user(app_ctx):
    """A user made through the service, as ``baton user add`` does: make_user("ann", "service-desk"),
    make_user("ann", password="secret", display_name="Ann Smith") for one who signs in."""
    from app.services import users

    def make(username: str, *groups: str, role: str | None = None, password: str | None = None,
             display_name: str | None = None):
        user, _token = users.add_user(username, groups=list(groups), role=role, password=password,
                                      display_name=display_name)
        return user
    return make
