"""Automations: definitions and their versions, executions and their step log, the schedules
due next, and the tasks ``create_task`` makes."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKeyConstraint, Index, Integer, String, Text, UniqueConstraint

from kassa.store.tables.base import resource_table
from kassa.store.types import JSONDoc, UTCDateTime

def _of_automation() -> ForeignKeyConstraint:
    """Deleting an automation deletes what belongs to it."""
    return ForeignKeyConstraint(["environment", "automation_id"],
                                ["automations.environment", "automations.id"],
                                ondelete="CASCADE")


automations = resource_table(
    "automations",
    Column("name", String(255), nullable=False),
    Column("description", Text),
    Column("status", String(16), nullable=False),  # draft | active | paused
    Column("current_version_id", String(80)),  # the active version (None while a draft)
    Column("latest_version_id", String(80), nullable=False),
    # The event an active automation listens to (None: schedule or manual), for the consumer.
    Column("trigger_event", String(80)),
    Index(None, "environment", "trigger_event", "status"),
)

automation_versions = resource_table(
    "automation_versions",
    Column("automation_id", String(80), nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # draft | active | inactive
    Column("definition", JSONDoc(), nullable=False),  # the canonical mapping (to_data)
    Column("activated_at", UTCDateTime()),
    UniqueConstraint("environment", "automation_id", "number"),
    _of_automation(),
    listed=False,
)

automation_executions = resource_table(
    "automation_executions",
    Column("automation_id", String(80), nullable=False),
    Column("version_id", String(80), nullable=False),
    # What started it (an event id, schedule:<instant>, manual:<id>): one execution per version.
    Column("trigger_key", String(120), nullable=False),
    Column("triggered_by", String(80), nullable=False),  # the event type, schedule or manual
    Column("triggered_at", UTCDateTime(), nullable=False),
    Column("trigger", JSONDoc(), nullable=False),  # the snapshot templates read as trigger.*
    Column("status", String(16), nullable=False),  # running | waiting | completed | failed | canceled
    Column("cursor", JSONDoc(), nullable=False),  # the frames still to run (kassa.automations.cursor)
    Column("position", Integer, nullable=False),  # steps taken: a stale job sees it moved on
    Column("steps_executed", Integer, nullable=False),
    Column("resume_at", UTCDateTime()),
    Column("completed_at", UTCDateTime()),
    Column("error", Text),
    UniqueConstraint("environment", "version_id", "trigger_key"),
    _of_automation(),
    Index(None, "environment", "automation_id", "created_at"),
    listed=False,
)

automation_step_runs = resource_table(
    "automation_step_runs",
    Column("execution_id", String(80), nullable=False),
    Column("step_key", String(400), nullable=False),  # path + loop iterations: runs once
    Column("path", String(400), nullable=False),  # steps[2].then[0]
    Column("type", String(16), nullable=False),
    Column("action", String(40)),
    Column("status", String(16), nullable=False),  # started | succeeded | failed | skipped
    Column("attempts", Integer, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("output", JSONDoc()),
    Column("error", Text),
    UniqueConstraint("environment", "execution_id", "step_key"),
    ForeignKeyConstraint(
        ["environment", "execution_id"],
        ["automation_executions.environment", "automation_executions.id"],
        ondelete="CASCADE",
    ),
    listed=False,
)

automation_schedules = resource_table(
    "automation_schedules",
    Column("automation_id", String(80), nullable=False),
    Column("version_id", String(80), nullable=False),
    Column("next_run_at", UTCDateTime(), nullable=False),
    UniqueConstraint("environment", "automation_id"),
    _of_automation(),
    Index(None, "environment", "next_run_at"),
    listed=False,
)

tasks = resource_table(
    "tasks",
    Column("status", String(16), nullable=False),  # open | completed
    Column("assignee", String(255)),
    Column("message", Text, nullable=False),
    Column("customer_id", String(80)),
    Column("invoice_id", String(80)),
    Column("execution_id", String(80)),
    Column("source", String(120)),  # the step key of the execution that made it
    Column("completed_at", UTCDateTime()),
    UniqueConstraint("environment", "execution_id", "source"),
)
