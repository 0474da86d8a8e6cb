"""Alembic environment: migrations run against the URL ``baton init-db`` passes."""
from alembic import context
from sqlalchemy import create_engine

from app.models import db

config = context.config
target_metadata = db.metadata


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
