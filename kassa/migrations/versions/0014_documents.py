"""documents: the PDFs of issued invoices and credit notes, rendered once and kept

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 02:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kassa.store.types

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('documents',
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('object_id', sa.String(length=80), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('environment', 'kind', 'object_id', name=op.f('pk_documents'))
    )


def downgrade() -> None:
    op.drop_table('documents')
