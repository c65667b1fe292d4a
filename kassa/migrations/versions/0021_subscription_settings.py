"""Webhook signing secrets sealed under the operator key (kassa.sealing); plan_versions, the
history of each plan's item sets (every existing plan gets its current items as version 1);
credit_notes.credit_grant_expires_at.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 19:00:00.000000

Upgrading seals every plaintext ``whsec_`` secret of ``webhook_endpoints`` under the operator key
(``KASSA_SECRET_KEY``, else the key file, generated when absent); downgrading opens them back to
plaintext, which needs the same key. The migration reads the key only when there are secrets.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kassa.store.types

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

_endpoints = sa.table(
    "webhook_endpoints",
    sa.column("seq", sa.Integer), sa.column("environment", sa.String),
    sa.column("id", sa.String), sa.column("secret", sa.String),
    sa.column("previous_secret", sa.String),
)
_SEALED = ("secret", "previous_secret")


def _keys():  # type: ignore[no-untyped-def]
    from kassa.config import load_settings
    from kassa.sealing import operator_keys

    handed = op.get_context().config.attributes.get("operator_keys")
    return handed if handed is not None else operator_keys(load_settings())


def _rewrite(change) -> None:  # type: ignore[no-untyped-def]
    conn = op.get_bind()
    rows = conn.execute(sa.select(_endpoints)).mappings().all()
    if not rows:
        return
    keys = _keys()
    for row in rows:
        values = {}
        for column in _SEALED:
            if row[column] is not None:
                where = f"webhook_endpoints:{row['environment']}:{row['id']}:{column}"
                new = change(keys, row[column], where)
                if new != row[column]:
                    values[column] = new
        if values:
            conn.execute(sa.update(_endpoints).where(_endpoints.c.seq == row["seq"])
                         .values(**values))


def _seal(keys, value: str, where: str) -> str:  # type: ignore[no-untyped-def]
    from kassa.sealing import sealed_key_id

    return value if sealed_key_id(value) is not None else keys.seal(value, where=where)


def _unseal(keys, value: str, where: str) -> str:  # type: ignore[no-untyped-def]
    from kassa.sealing import sealed_key_id

    return value if sealed_key_id(value) is None else keys.open(value, where=where)


def _plan_versions_up() -> None:
    op.create_table('plan_versions',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('plan_id', sa.String(length=80), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('items', kassa.store.types.JSONDoc(), nullable=False),
    sa.Column('created_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kassa.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_plan_versions')),
    sa.UniqueConstraint('environment', 'id', name=op.f('uq_plan_versions_environment_id')),
    sa.UniqueConstraint('environment', 'plan_id', 'number', name=op.f('uq_plan_versions_environment_plan_id_number'))
    )
    from kassa.ids import new_id

    plans = sa.table("plans", sa.column("environment", sa.String), sa.column("id", sa.String),
                     sa.column("items", kassa.store.types.JSONDoc()),
                     sa.column("updated_at", kassa.store.types.UTCDateTime()))
    versions = sa.table("plan_versions", *(sa.column(n) for n in (
        "environment", "id", "plan_id", "number")),
        sa.column("items", kassa.store.types.JSONDoc()),
        sa.column("created_at", kassa.store.types.UTCDateTime()),
        sa.column("updated_at", kassa.store.types.UTCDateTime()))
    conn = op.get_bind()
    rows = conn.execute(sa.select(plans)).mappings().all()
    if rows:
        conn.execute(sa.insert(versions), [
            {"environment": r["environment"], "id": new_id("plv"), "plan_id": r["id"],
             "number": 1, "items": r["items"], "created_at": r["updated_at"],
             "updated_at": r["updated_at"]} for r in rows])


def upgrade() -> None:
    _plan_versions_up()
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_grant_expires_at', kassa.store.types.UTCDateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "postgresql":  # SQLite does not enforce VARCHAR lengths
        for column in _SEALED:
            op.alter_column("webhook_endpoints", column, type_=sa.String(255),
                            existing_type=sa.String(100))
    _rewrite(_seal)


def downgrade() -> None:
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.drop_column('credit_grant_expires_at')
    op.drop_table('plan_versions')
    _rewrite(_unseal)
    if op.get_bind().dialect.name == "postgresql":
        for column in _SEALED:
            op.alter_column("webhook_endpoints", column, type_=sa.String(100),
                            existing_type=sa.String(255))
