"""Whether the service can do its work: the database answers."""
from __future__ import annotations

import sqlalchemy as sa

from app.models import db


def database_ok() -> bool:
    """A real round trip (``SELECT 1``); False on any database error."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False
