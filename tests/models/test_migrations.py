"""The migrations build exactly the schema the models describe, on SQLite and
PostgreSQL, so ``baton init-db`` and the code never disagree."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.database import alembic_config, upgrade_schema
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
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == _head()
    engine.dispose()


def test_versions_deployed_before_0002_stay_startable_and_uncategorised(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    command.upgrade(alembic_config(url), "0001")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO deployment (id, deployed_at, deployed_by, source) "
                             "VALUES (1, '2026-01-01 00:00:00', 'olga', 'cli')")
        conn.exec_driver_sql(
            "INSERT INTO definition_version (id, key, version, name, description, content_hash, flavour, "
            "deployment_id, deployed_at, deployed_by, files, bpmn_file, spec_json, meta) VALUES (1, 'old', 1, "
            "'Old', '', 'h', 'spiff', 1, '2026-01-01 00:00:00', 'olga', '{}', 'old.bpmn', '{}', '{}')")
    upgrade_schema(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT category, startable FROM definition_version").one() == ("", 1)
    engine.dispose()


def _head() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
