"""emails: email templates (an environment's own and its overrides of the built-ins) and the
log of every email rendered for sending

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 02:14:57.237782
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kassa.store.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('email_templates',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_email_templates')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_email_templates_environment_id')),
    sa.UniqueConstraint('environment', 'key', name=op.f('uq_email_templates_environment_key'))
    )
    op.create_table('emails',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('to_addresses', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('cc_addresses', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('template', sa.String(length=80), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('message_id', sa.String(length=255), nullable=True),
    sa.Column('source', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_emails')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_emails_environment_id'))
    )
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emails_environment_created_at'), ['environment', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_emails_environment_status_created_at'), ['environment', 'status', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_emails_environment_status_created_at'))
        batch_op.drop_index(batch_op.f('ix_emails_environment_created_at'))

    op.drop_table('emails')
    op.drop_table('email_templates')
