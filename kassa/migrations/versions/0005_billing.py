"""billing

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 00:34:04.116849
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kassa.store.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('credit_ledger',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('grant_id', sa.String(length=80), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.Column('invoice_id', sa.String(length=80), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_credit_ledger'))
    )
    with op.batch_alter_table('credit_ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_ledger_environment_customer_id'), ['environment', 'customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_ledger_environment_grant_id'), ['environment', 'grant_id'], unique=False)

    op.create_table('credit_notes',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=True),
    sa.Column('invoice_id', sa.String(length=80), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('memo', sa.Text(), nullable=True),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('amount', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.Column('refund_id', sa.String(length=80), nullable=True),
    sa.Column('credit_grant_id', sa.String(length=80), nullable=True),
    sa.Column('applied_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_credit_notes')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_credit_notes_environment_id'))
    )
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_notes_environment_customer_id'), ['environment', 'customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_notes_environment_invoice_id'), ['environment', 'invoice_id'], unique=False)

    op.create_table('refunds',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.Column('payment_id', sa.String(length=80), nullable=False),
    sa.Column('credit_note_id', sa.String(length=80), nullable=True),
    sa.Column('amount', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('processor_ref', sa.String(length=200), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_refunds')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_refunds_environment_id'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_environment_created_at'), ['environment', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_environment_payment_id'), ['environment', 'payment_id'], unique=False)

    op.create_table('sequences',
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('environment', 'name', name=op.f('pk_sequences'))
    )
    op.create_table('wallet_transactions',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('wallet_id', sa.String(length=80), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('amount', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('balance_after', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('invoice_id', sa.String(length=80), nullable=True),
    sa.Column('grant_id', sa.String(length=80), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_wallet_transactions')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_wallet_transactions_environment_id'))
    )
    with op.batch_alter_table('wallet_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wallet_transactions_environment_wallet_id'), ['environment', 'wallet_id'], unique=False)

    op.create_table('credit_grants',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('metric_id', sa.String(length=80), nullable=True),
    sa.Column('amount', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('remaining', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('expires_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('metadata', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment', 'customer_id'], ['customers.environment', 'customers.id'], name=op.f('fk_credit_grants_environment_customer_id_customers')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_credit_grants')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_credit_grants_environment_id'))
    )
    with op.batch_alter_table('credit_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_grants_environment_customer_id_status'), ['environment', 'customer_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_grants_environment_status_expires_at'), ['environment', 'status', 'expires_at'], unique=False)

    op.create_table('invoices',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=True),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.Column('subscription_id', sa.String(length=80), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('billing_key', sa.String(length=200), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('billing_period_start', sa.Date(), nullable=True),
    sa.Column('billing_period_end', sa.Date(), nullable=True),
    sa.Column('issue_date', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('payment_terms', sa.String(length=20), nullable=False),
    sa.Column('auto_pay', sa.Boolean(), nullable=False),
    sa.Column('subtotal', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('discount', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('tax', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('total', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('credits_applied', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('wallet_applied', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('amount_paid', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('amount_due', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('amount_credited', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('memo', sa.Text(), nullable=True),
    sa.Column('metadata', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('wallet_id', sa.String(length=80), nullable=True),
    sa.Column('issued_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paid_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('overdue_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment', 'customer_id'], ['customers.environment', 'customers.id'], name=op.f('fk_invoices_environment_customer_id_customers')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_invoices')),
    sa.UniqueConstraint('environment', 'billing_key', name=op.f('uq_invoices_environment_billing_key')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_invoices_environment_id')),
    sa.UniqueConstraint('environment', 'number', name=op.f('uq_invoices_environment_number'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_environment_created_at'), ['environment', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_environment_customer_id'), ['environment', 'customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_environment_status_due_date'), ['environment', 'status', 'due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_environment_subscription_id'), ['environment', 'subscription_id'], unique=False)

    op.create_table('payment_methods',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('test_behavior', sa.String(length=20), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('processor_ref', sa.String(length=200), nullable=True),
    sa.Column('detached_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment', 'customer_id'], ['customers.environment', 'customers.id'], name=op.f('fk_payment_methods_environment_customer_id_customers')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_payment_methods')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_payment_methods_environment_id'))
    )
    with op.batch_alter_table('payment_methods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_methods_environment_customer_id'), ['environment', 'customer_id'], unique=False)

    op.create_table('payments',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.Column('invoice_id', sa.String(length=80), nullable=True),
    sa.Column('payment_method_id', sa.String(length=80), nullable=True),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('amount', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('amount_refunded', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('processor_ref', sa.String(length=200), nullable=True),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment', 'customer_id'], ['customers.environment', 'customers.id'], name=op.f('fk_payments_environment_customer_id_customers')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_payments')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_payments_environment_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_environment_created_at'), ['environment', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_environment_customer_id'), ['environment', 'customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_environment_invoice_id'), ['environment', 'invoice_id'], unique=False)

    op.create_table('wallets',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('balance', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('metadata', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment', 'customer_id'], ['customers.environment', 'customers.id'], name=op.f('fk_wallets_environment_customer_id_customers')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_wallets')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_wallets_environment_id'))
    )
    with op.batch_alter_table('wallets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wallets_environment_customer_id'), ['environment', 'customer_id'], unique=False)

    op.create_table('invoice_lines',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('invoice_id', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('product_id', sa.String(length=80), nullable=True),
    sa.Column('bundle_id', sa.String(length=80), nullable=True),
    sa.Column('metric_id', sa.String(length=80), nullable=True),
    sa.Column('quantity', kassa.store.types.ExactDecimal(), nullable=True),
    sa.Column('unit_amount', kassa.store.types.ExactDecimal(), nullable=True),
    sa.Column('amount', kassa.store.types.ExactDecimal(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['environment', 'invoice_id'], ['invoices.environment', 'invoices.id'], name=op.f('fk_invoice_lines_environment_invoice_id_invoices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_invoice_lines')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_invoice_lines_environment_id'))
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_lines_environment_invoice_id'), ['environment', 'invoice_id'], unique=False)

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billed_through', kassa.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('next_billing_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_subscriptions_environment_next_billing_at'), ['environment', 'next_billing_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_environment_next_billing_at'))
        batch_op.drop_column('next_billing_at')
        batch_op.drop_column('billed_through')

    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_lines_environment_invoice_id'))

    op.drop_table('invoice_lines')
    with op.batch_alter_table('wallets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wallets_environment_customer_id'))

    op.drop_table('wallets')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_environment_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_payments_environment_customer_id'))
        batch_op.drop_index(batch_op.f('ix_payments_environment_created_at'))

    op.drop_table('payments')
    with op.batch_alter_table('payment_methods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_methods_environment_customer_id'))

    op.drop_table('payment_methods')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_environment_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_invoices_environment_status_due_date'))
        batch_op.drop_index(batch_op.f('ix_invoices_environment_customer_id'))
        batch_op.drop_index(batch_op.f('ix_invoices_environment_created_at'))

    op.drop_table('invoices')
    with op.batch_alter_table('credit_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_grants_environment_status_expires_at'))
        batch_op.drop_index(batch_op.f('ix_credit_grants_environment_customer_id_status'))

    op.drop_table('credit_grants')
    with op.batch_alter_table('wallet_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wallet_transactions_environment_wallet_id'))

    op.drop_table('wallet_transactions')
    op.drop_table('sequences')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_environment_payment_id'))
        batch_op.drop_index(batch_op.f('ix_refunds_environment_created_at'))

    op.drop_table('refunds')
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_notes_environment_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_credit_notes_environment_customer_id'))

    op.drop_table('credit_notes')
    with op.batch_alter_table('credit_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_ledger_environment_grant_id'))
        batch_op.drop_index(batch_op.f('ix_credit_ledger_environment_customer_id'))

    op.drop_table('credit_ledger')
