"""Automations: create (JSON, YAML or a template), read, list, change, delete; versions and
their activation; pause and resume. Every definition is parsed (and so validated) once, on the
way in, and stored as its canonical mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select, update

from kassa.automations import schedules
from kassa.automations.templates import template_definition
from kassa.automations.parsing import parse as parse_definition
from kassa.domain.automations.definition import to_data
from kassa.domain.automations.triggers import EventTrigger, ScheduleTrigger
from kassa.domain.errors import Conflict, InvalidTransition, NotFound
from kassa.ids import new_id
from kassa.services.context import Ctx
from kassa.services.serialize import rfc3339
from kassa.store.queries import ListQuery, Page, fetch_page, get_row, in_filter, update_row
from kassa.store.tables import automation_schedules, automation_versions, automations
from kassa.store.uow import UnitOfWork

STATUSES = ("draft", "active", "paused")
DEFINITION_FIELDS = ("name", "description", "trigger", "conditions", "steps", "errorHandling")
SORTABLE = {"created_at": automations.c.created_at, "updated_at": automations.c.updated_at,
            "name": automations.c.name}
FILTERS = {"id": in_filter(automations.c.id), "status": in_filter(automations.c.status),
           "trigger_event": in_filter(automations.c.trigger_event)}
VERSION_SORTABLE = {"number": automation_versions.c.number,
                    "created_at": automation_versions.c.created_at}
VERSION_FILTERS = {"status": in_filter(automation_versions.c.status)}


def _definition_view(definition: Mapping[str, Any]) -> dict[str, Any]:
    return {name: definition.get(name) for name in ("trigger", "conditions", "steps",
                                                      "errorHandling")}


def automation_view(row: Mapping[str, Any], latest: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "name": row["name"], "description": row["description"],
        "status": row["status"], "current_version_id": row["current_version_id"],
        "latest_version_id": row["latest_version_id"],
        **_definition_view(latest["definition"]),
        "created_at": rfc3339(row["created_at"]), "updated_at": rfc3339(row["updated_at"]),
    }


def version_view(row: Mapping[str, Any]) -> dict[str, Any]:
    definition = row["definition"]
    return {
        "id": row["id"], "automation_id": row["automation_id"], "number": row["number"],
        "status": row["status"], "name": definition.get("name"),
        "description": definition.get("description"), **_definition_view(definition),
        "activated_at": rfc3339(row["activated_at"]), "created_at": rfc3339(row["created_at"]),
    }


def canonical(data: Mapping[str, Any]) -> dict[str, Any]:
    """The definition as stored and answered: parsed (422 naming the field) and written back."""
    return to_data(parse_definition(data))


def _source(data: Mapping[str, Any]) -> dict[str, Any]:
    """A request body: a definition, or ``{"template": KEY}`` (+ fields overriding it)."""
    if "template" not in data:
        return dict(data)
    return {**template_definition(data["template"]),
            **{k: v for k, v in data.items() if k != "template"}}


def _insert_version(uow: UnitOfWork, automation_id: str, number: int,
                    definition: dict[str, Any]) -> dict[str, Any]:
    row = {"environment": uow.environment, "id": new_id("autov"), "automation_id": automation_id,
           "number": number, "status": "draft", "definition": definition, "activated_at": None,
           "created_at": uow.now, "updated_at": uow.now}
    uow.conn.execute(automation_versions.insert(), row)
    return row


def create_automation(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    """A new automation: version 1, a draft (``activate`` makes it run)."""
    definition = canonical(_source(data))
    with ctx.uow() as uow:
        automation_id = new_id("auto")
        row = {"environment": uow.environment, "id": automation_id, "name": definition["name"],
               "description": definition.get("description"), "status": "draft",
               "current_version_id": None, "latest_version_id": "", "trigger_event": None,
               "created_at": uow.now, "updated_at": uow.now}
        uow.conn.execute(automations.insert(), row)
        version = _insert_version(uow, automation_id, 1, definition)
        row["latest_version_id"] = version["id"]
        update_row(uow.conn, automations, uow.environment, automation_id,
                   {"latest_version_id": version["id"]})
        uow.commit()
    return automation_view(row, version)


def _load(uow: UnitOfWork, automation_id: str, *, for_update: bool = False) -> dict[str, Any]:
    return dict(get_row(uow.conn, automations, uow.environment, automation_id,
                        what="Automation", for_update=for_update))


def _version(uow: UnitOfWork, automation_id: str, version_id: str) -> dict[str, Any]:
    row = get_row(uow.conn, automation_versions, uow.environment, version_id,
                  what="Automation version")
    if row["automation_id"] != automation_id:
        raise NotFound(f"Automation version {version_id!r} was not found.")
    return dict(row)


def _view(uow: UnitOfWork, row: Mapping[str, Any]) -> dict[str, Any]:
    return automation_view(row, _version(uow, row["id"], row["latest_version_id"]))


def latest_definition(uow: UnitOfWork, automation_id: str) -> Any:
    """The parsed definition of the automation's latest version (what a test runs)."""
    row = _load(uow, automation_id)
    return parse_definition(_version(uow, automation_id, row["latest_version_id"])["definition"])


def get_automation(ctx: Ctx, automation_id: str) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        return _view(uow, _load(uow, automation_id))


def list_automations(ctx: Ctx, query: ListQuery) -> Page:
    with ctx.uow(read_only=True) as uow:
        page = fetch_page(uow.conn, automations, uow.environment, query, sortable=SORTABLE,
                          filters=FILTERS)
        return page.map(lambda row: _view(uow, row))


def update_automation(ctx: Ctx, automation_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """PATCH: the given definition fields replace the latest version's; a draft is edited in
    place, an active or inactive latest version gets a new draft after it."""
    with ctx.uow() as uow:
        row = _load(uow, automation_id, for_update=True)
        latest = _version(uow, automation_id, row["latest_version_id"])
        definition = canonical({**latest["definition"], **changes})
        if latest["status"] == "draft":
            update_row(uow.conn, automation_versions, uow.environment, latest["id"],
                       {"definition": definition, "updated_at": uow.now})
            latest["definition"] = definition
        else:
            latest = _insert_version(uow, automation_id, latest["number"] + 1, definition)
        values = {"name": definition["name"], "description": definition.get("description"),
                  "latest_version_id": latest["id"], "updated_at": uow.now}
        update_row(uow.conn, automations, uow.environment, automation_id, values)
        uow.commit()
    return automation_view({**row, **values}, latest)


def delete_automation(ctx: Ctx, automation_id: str) -> dict[str, Any]:
    """Delete the automation with its versions and executions (their pending jobs find nothing
    left to run)."""
    with ctx.uow() as uow:
        _load(uow, automation_id, for_update=True)
        uow.conn.execute(delete(automations).where(
            automations.c.environment == uow.environment, automations.c.id == automation_id))
        uow.commit()
    return {"id": automation_id, "deleted": True}


def add_version(ctx: Ctx, automation_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A full new definition, as a draft version after the latest."""
    definition = canonical(_source(data))
    with ctx.uow() as uow:
        _load(uow, automation_id, for_update=True)
        number = uow.conn.execute(select(func.max(automation_versions.c.number)).where(
            automation_versions.c.environment == uow.environment,
            automation_versions.c.automation_id == automation_id)).scalar_one()
        version = _insert_version(uow, automation_id, number + 1, definition)
        update_row(uow.conn, automations, uow.environment, automation_id,
                   {"latest_version_id": version["id"], "name": definition["name"],
                    "description": definition.get("description"), "updated_at": uow.now})
        uow.commit()
    return version_view(version)


def list_versions(ctx: Ctx, automation_id: str, query: ListQuery) -> Page:
    with ctx.uow(read_only=True) as uow:
        _load(uow, automation_id)
        page = fetch_page(uow.conn, automation_versions, uow.environment, query,
                          sortable=VERSION_SORTABLE, filters=VERSION_FILTERS,
                          where=[automation_versions.c.automation_id == automation_id],
                          default_sort=("number", "desc"))
    return page.map(version_view)


def activate(ctx: Ctx, automation_id: str) -> dict[str, Any]:
    """Activate the latest version (a draft; an active latest version stays as it is)."""
    with ctx.uow() as uow:
        row = _load(uow, automation_id, for_update=True)
        _activate(uow, row, _version(uow, automation_id, row["latest_version_id"]))
        uow.commit()
        return _view(uow, _load(uow, automation_id))


def activate_version(ctx: Ctx, automation_id: str, version_id: str) -> dict[str, Any]:
    """Activate one version (restore an old one); the active one becomes inactive. A paused
    automation stays paused."""
    with ctx.uow() as uow:
        row = _load(uow, automation_id, for_update=True)
        version = _version(uow, automation_id, version_id)
        _activate(uow, row, version)
        uow.commit()
        return version_view(_version(uow, automation_id, version_id))


def _activate(uow: UnitOfWork, row: dict[str, Any], version: dict[str, Any]) -> None:
    if version["status"] != "active":
        uow.conn.execute(update(automation_versions).where(
            automation_versions.c.environment == uow.environment,
            automation_versions.c.automation_id == row["id"],
            automation_versions.c.status == "active",
        ).values(status="inactive", updated_at=uow.now))
        update_row(uow.conn, automation_versions, uow.environment, version["id"],
                   {"status": "active", "activated_at": uow.now, "updated_at": uow.now})
    trigger = parse_definition(version["definition"]).trigger
    status = "paused" if row["status"] == "paused" else "active"
    update_row(uow.conn, automations, uow.environment, row["id"], {
        "status": status, "current_version_id": version["id"], "updated_at": uow.now,
        "trigger_event": trigger.event if isinstance(trigger, EventTrigger) else None})
    _schedule(uow, row["id"], version["id"], trigger if status == "active" else None)


def _schedule(uow: UnitOfWork, automation_id: str, version_id: str | None, trigger: Any) -> None:
    """Keep the automation's next scheduled run: from now on, only while active."""
    uow.conn.execute(delete(automation_schedules).where(
        automation_schedules.c.environment == uow.environment,
        automation_schedules.c.automation_id == automation_id))
    if isinstance(trigger, ScheduleTrigger):
        uow.conn.execute(automation_schedules.insert(), {
            "environment": uow.environment, "id": new_id("autos"),
            "automation_id": automation_id, "version_id": version_id,
            "next_run_at": schedules.next_run(trigger, uow.now, uow.now),
            "created_at": uow.now, "updated_at": uow.now})


def pause(ctx: Ctx, automation_id: str) -> dict[str, Any]:
    """Stop triggering (events meanwhile are not replayed on resume); running executions go on."""
    with ctx.uow() as uow:
        row = _load(uow, automation_id, for_update=True)
        if row["status"] == "draft":
            raise InvalidTransition(f"Automation {automation_id} is a draft: activate it first.")
        update_row(uow.conn, automations, uow.environment, automation_id,
                   {"status": "paused", "updated_at": uow.now})
        _schedule(uow, automation_id, None, None)
        uow.commit()
        return _view(uow, _load(uow, automation_id))


def resume(ctx: Ctx, automation_id: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        row = _load(uow, automation_id, for_update=True)
        if row["status"] != "paused":
            raise Conflict(f"Automation {automation_id} is {row['status']}, not paused.")
        version = _version(uow, automation_id, row["current_version_id"])
        update_row(uow.conn, automations, uow.environment, automation_id,
                   {"status": "active", "updated_at": uow.now})
        _schedule(uow, automation_id, version["id"],
                  parse_definition(version["definition"]).trigger)
        uow.commit()
        return _view(uow, _load(uow, automation_id))
