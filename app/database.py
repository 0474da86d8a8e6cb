"""Database set-up: SQLite pragmas, write transactions, and schema migrations.

SQLite is the embedded default. Two writers must never interleave a
load-step-save of one instance, so write use cases open their transaction
with ``BEGIN IMMEDIATE`` (taking SQLite's write lock up front; the second
writer waits on ``busy_timeout`` and then reads the first one's result).
On PostgreSQL the services lock the instance row instead.

Only writes run in a transaction. Reads run statement by statement in the
driver's autocommit mode, each seeing what was committed when it started:
what PostgreSQL's default READ COMMITTED gives inside a transaction anyway.
That spares every request a BEGIN and a COMMIT or ROLLBACK (two round trips
on PostgreSQL; on SQLite the statements cost more than the work).
"""
from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from .models import db

_local = threading.local()


def init_app(app) -> None:
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("isolation_level", "AUTOCOMMIT")
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)
        sa.event.listen(db.engine, "begin", _begin)


def _begin(conn) -> None:
    """SQLAlchemy's transactions are no-ops in autocommit mode; a write's is real."""
    if getattr(_local, "write", False):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.dialect.name == "sqlite" else "BEGIN")


def _configure_sqlite(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # The sqlite3 module must not begin transactions of its own (see _begin).
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()


@contextlib.contextmanager
def write_transaction():
    """One use case's transaction: commits on success, rolls back on any error.

    Reads done before it (authentication, say) are finished first, so the
    write lock is taken at the start of this transaction and every read inside
    it sees the latest committed state. Rows a use case changes must be read
    inside it with ``populate_existing`` (see ``fresh``): objects loaded
    before the lock may be stale.
    """
    session = db.session()  # the scoped proxy does not offer in_transaction()
    if session.in_transaction():
        session.commit()
    _local.write = True
    try:
        session.begin()
        # The session would otherwise connect lazily, at its first statement,
        # after the flag is gone; connecting now makes that BEGIN IMMEDIATE.
        session.connection()
    finally:
        _local.write = False
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def fresh(statement):
    """A query whose rows overwrite what the session already holds, for rows read
    under the write lock."""
    return statement.execution_options(populate_existing=True)


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_schema(url: str) -> None:
    """Create or upgrade the schema to the newest migration."""
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")
