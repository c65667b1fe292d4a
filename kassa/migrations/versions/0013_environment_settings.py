"""environment_settings: Settings → Invoicing, Subscriptions and Customer Portal per environment

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 14:25:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kassa.store.types

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('environment_settings',
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('section', sa.String(length=32), nullable=False),
    sa.Column('values', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('environment', 'section', name=op.f('pk_environment_settings'))
    )


def downgrade() -> None:
    op.drop_table('environment_settings')
