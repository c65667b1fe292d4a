"""Approval rules and approvals as the API and webhooks show them."""

from __future__ import annotations

from typing import Any

from kassa.resources.fields import ResponseSchema, Timestamp


class Rule(ResponseSchema):
    id: str
    name: str
    description: str | None
    conditions: list[dict[str, Any]]
    match: str
    priority: int
    approvers: dict[str, Any]
    enabled: bool
    created_at: Timestamp
    updated_at: Timestamp


class RuleDeleted(Rule):
    deleted: bool


class Approval(ResponseSchema):
    id: str
    subscription_id: str
    rule_id: str
    status: str
    reasons: list[str]
    approvers: dict[str, Any]
    decisions: list[dict[str, Any]]
    rejection_reason: str | None
    decided_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
