"""subscriptions

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-22 00:20:48.642824
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kassa.store.types

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('approval_rules',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('conditions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('match', sa.String(length=8), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('approvers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('enabled', sa.Integer(), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_approval_rules')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_approval_rules_environment_id'))
    )
    with op.batch_alter_table('approval_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_rules_environment_priority'), ['environment', 'priority'], unique=False)

    op.create_table('bundles',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('items', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('metadata', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('archived_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_bundles')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_bundles_environment_id'))
    )
    with op.batch_alter_table('bundles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bundles_environment_created_at'), ['environment', 'created_at'], unique=False)

    op.create_table('plans',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('items', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('contract', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('billing', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('renewal', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('metadata', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('archived_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_plans')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_plans_environment_id'))
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_environment_created_at'), ['environment', 'created_at'], unique=False)

    op.create_table('subscriptions',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.Column('plan_id', sa.String(length=80), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('contract', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('renewal', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('billing', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('discount', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('minimum_spend', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('maximum_spend', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('price_escalation', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('metadata', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('current_version_id', sa.String(length=80), nullable=True),
    sa.Column('term_start', sa.Date(), nullable=True),
    sa.Column('term_end', sa.Date(), nullable=True),
    sa.Column('billing_anchor', sa.Date(), nullable=True),
    sa.Column('cycle_start', sa.Date(), nullable=True),
    sa.Column('cancellation', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('cancel_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pause', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('pauses', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('activated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('canceled_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_action_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment', 'customer_id'], ['customers.environment', 'customers.id'], name=op.f('fk_subscriptions_environment_customer_id_customers')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_subscriptions_environment_id'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_environment_created_at'), ['environment', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_environment_customer_id'), ['environment', 'customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_environment_next_action_at'), ['environment', 'next_action_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_environment_status'), ['environment', 'status'], unique=False)

    op.create_table('approvals',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('subscription_id', sa.String(length=80), nullable=False),
    sa.Column('rule_id', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reasons', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('approvers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('decisions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('decided_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment', 'subscription_id'], ['subscriptions.environment', 'subscriptions.id'], name=op.f('fk_approvals_environment_subscription_id_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_approvals')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_approvals_environment_id'))
    )
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approvals_environment_status'), ['environment', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_approvals_environment_subscription_id'), ['environment', 'subscription_id'], unique=False)

    op.create_table('subscription_versions',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('subscription_id', sa.String(length=80), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('effective_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('effective', sa.String(length=40), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('plan_id', sa.String(length=80), nullable=True),
    sa.Column('items', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('proration', sa.String(length=8), nullable=False),
    sa.Column('source_version_id', sa.String(length=80), nullable=True),
    sa.Column('published_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment', 'subscription_id'], ['subscriptions.environment', 'subscriptions.id'], name=op.f('fk_subscription_versions_environment_subscription_id_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_subscription_versions')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_subscription_versions_environment_id')),
    sa.UniqueConstraint('environment', 'subscription_id', 'number', name=op.f('uq_subscription_versions_environment_subscription_id_number'))
    )
    with op.batch_alter_table('subscription_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_versions_environment_subscription_id_status_effective_at'), ['environment', 'subscription_id', 'status', 'effective_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('subscription_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_versions_environment_subscription_id_status_effective_at'))

    op.drop_table('subscription_versions')
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approvals_environment_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_approvals_environment_status'))

    op.drop_table('approvals')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_environment_status'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_environment_next_action_at'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_environment_customer_id'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_environment_created_at'))

    op.drop_table('subscriptions')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_environment_created_at'))

    op.drop_table('plans')
    with op.batch_alter_table('bundles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bundles_environment_created_at'))

    op.drop_table('bundles')
    with op.batch_alter_table('approval_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_rules_environment_priority'))

    op.drop_table('approval_rules')
