"""The migrations build exactly the schema the models describe, on SQLite and
PostgreSQL, so ``baton init-db`` and the code never disagree."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.database import upgrade_schema
from app.models import db


def test_migrated_schema_matches_the_models(database_url):
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    engine.dispose()
    assert diff == []


def test_init_db_is_idempotent(sqlite_url):
    upgrade_schema(sqlite_url)
    upgrade_schema(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0001"
    engine.dispose()
