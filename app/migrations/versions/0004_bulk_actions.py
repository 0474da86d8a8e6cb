"""bulk actions

An admin's change to many cases at once (suspend, resume, terminate, retry,
migrate), with the cases it covers and how far the worker has come.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 20:39:19.126772
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
import app.models.base
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bulk_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('target_version', sa.Integer(), nullable=True),
    sa.Column('instance_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('filters', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('failures', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('requested_at', app.models.base.UTCDateTime(), nullable=False),
    sa.Column('finished_at', app.models.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_action'))
    )


def downgrade() -> None:
    op.drop_table('bulk_action')
