"""Fixtures: a fresh Baton app per test on a real SQLite file or a real
PostgreSQL server, a clock the test moves, users with tokens, and an HTTP
client talking to the app."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.clock import FrozenClock
from app.database import upgrade_schema
from app.models import db
from tests.support.postgres import PostgresServer, find_bin_dir

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
    url = postgres_server.create_database("baton_test")
    upgrade_schema(url)
    return url


def _truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path, sqlite_template) -> str:
    if request.param == "sqlite":
        path = tmp_path / "baton.sqlite"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _truncate_all(url)
    return url


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
