"""Automations, their versions, executions and step logs, templates and tasks."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from kassa.api.schemas.common import Schema
from kassa.resources.fields import ResponseSchema

AUTOMATION_BODY = {
    "description": "A definition (name, description, trigger, conditions, steps, "
                   "errorHandling) as JSON, or as YAML with Content-Type: application/yaml; or "
                   '{"template": KEY} to start from an automation template.',
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "application/yaml": {"schema": {"type": "object"}},
    },
    "required": True,
}


class Automation(ResponseSchema):
    id: str
    name: str
    description: str | None
    status: Literal["draft", "active", "paused"]
    current_version_id: str | None
    latest_version_id: str
    trigger: dict[str, Any]
    conditions: Any = None
    steps: list[dict[str, Any]]
    errorHandling: dict[str, Any] | None = None  # noqa: N815 - the document's name
    created_at: str
    updated_at: str


class AutomationDeleted(ResponseSchema):
    id: str
    deleted: bool


class AutomationVersion(ResponseSchema):
    id: str
    automation_id: str
    number: int
    status: Literal["draft", "active", "inactive"]
    name: str
    description: str | None
    trigger: dict[str, Any]
    conditions: Any = None
    steps: list[dict[str, Any]]
    errorHandling: dict[str, Any] | None = None  # noqa: N815
    activated_at: str | None
    created_at: str


class AutomationUpdate(Schema):
    """PATCH: the given fields replace the latest version's (a draft edited, else a new one)."""

    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = None
    trigger: dict[str, Any] | None = None
    conditions: Any = None
    steps: list[dict[str, Any]] | None = None
    errorHandling: dict[str, Any] | None = None  # noqa: N815


class TriggerSample(Schema):
    """The trigger context of a manual run or a test: records named by id
    (``{"customer": {"id": "wcqYrqfE"}}``) and any other value templates read."""

    trigger: dict[str, Any] = Field(default_factory=dict)


class ManualRun(ResponseSchema):
    execution_id: str | None
    conditionsMet: bool  # noqa: N815


class StepRun(ResponseSchema):
    path: str
    type: str
    action: str | None
    status: str
    attempts: int
    startedAt: str | None  # noqa: N815
    finishedAt: str | None  # noqa: N815
    output: Any = None
    error: str | None


class TestResult(ResponseSchema):
    conditionsMet: bool  # noqa: N815
    status: str
    steps: list[StepRun]


class Execution(ResponseSchema):
    id: str
    automationId: str  # noqa: N815
    versionId: str  # noqa: N815
    status: Literal["running", "waiting", "completed", "failed", "canceled"]
    triggeredBy: str  # noqa: N815
    triggeredAt: str  # noqa: N815
    completedAt: str | None  # noqa: N815
    stepsExecuted: int  # noqa: N815
    resumeAt: str | None  # noqa: N815
    error: str | None


class ExecutionDetail(Execution):
    trigger: dict[str, Any]
    steps: list[StepRun]


class Pagination(ResponseSchema):
    per_page: int
    total_pages: int
    total: int


class ExecutionList(ResponseSchema):
    executions: list[Execution]
    pagination: Pagination


class AutomationTemplate(ResponseSchema):
    key: str
    name: str
    description: str
    definition: dict[str, Any]


class AutomationTemplates(ResponseSchema):
    data: list[AutomationTemplate]


class Task(ResponseSchema):
    id: str
    status: Literal["open", "completed"]
    assignee: str | None
    message: str
    customer_id: str | None
    invoice_id: str | None
    execution_id: str | None
    completed_at: str | None
    created_at: str
    updated_at: str


class TaskUpdate(Schema):
    status: Literal["open", "completed"] | None = None
    assignee: str | None = Field(default=None, max_length=255)
    message: str | None = Field(default=None, min_length=1)
