"""messages and scheduled starts

The index of message events instances wait on, the ids of messages already
applied, and jobs that start instances on a schedule (timer start events),
which belong to a definition version rather than to an instance; and what
sent each outbox message, so a hook call run twice sends it once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:49:51.166112
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
import app.models.base
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('message_receipt',
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('delivered_to', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('started', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('received_at', app.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_message_receipt'))
    )
    op.create_table('message_wait',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('element', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('correlation', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instance.id'], name=op.f('fk_message_wait_instance_id_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_wait'))
    )
    with op.batch_alter_table('message_wait', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_wait_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_wait_name'), ['name'], unique=False)

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_source'), ['source'], unique=False)

    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('definition_version_id', sa.Integer(), nullable=True))
        batch_op.alter_column('instance_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_job_definition_version_id'), ['definition_version_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_job_definition_version_id_definition_version'), 'definition_version', ['definition_version_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_job_definition_version_id_definition_version'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_job_definition_version_id'))
        batch_op.alter_column('instance_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('definition_version_id')

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_source'))
        batch_op.drop_column('source')

    with op.batch_alter_table('message_wait', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_wait_name'))
        batch_op.drop_index(batch_op.f('ix_message_wait_instance_id'))

    op.drop_table('message_wait')
    op.drop_table('message_receipt')
