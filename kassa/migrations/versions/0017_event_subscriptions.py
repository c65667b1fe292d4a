"""event_subscriptions: a usage event may name the subscription it is billed to

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 04:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('usage_events', sa.Column('subscription_id', sa.String(length=80),
                                            nullable=True))


def downgrade() -> None:
    op.drop_column('usage_events', 'subscription_id')
