"""Email templates of an environment: the built-ins Kassa ships (kassa.services.email_builtins),
the environment's overrides of them, and its own templates, all addressed by ``key``.

Saving a key (POST or PUT) creates the environment's template or replaces it, never a conflict:
201 when the environment had none under that key (for a built-in: the override begins), 200 when
it replaced one. Deleting an override restores the built-in; deleting an environment's own
template removes it; a built-in without an override cannot be deleted (409: there is nothing of
the environment's to delete, and the key stays in use).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from kassa.domain.errors import Conflict, InvalidRequest, NotFound
from kassa.ids import new_id
from kassa.services.context import Ctx
from kassa.services.email_builtins import BUILTINS, BuiltinTemplate
from kassa.services.email_rendering import Rendered, check_template, render_parts
from kassa.services.serialize import rfc3339
from kassa.store.queries import ListQuery, Page
from kassa.store.tables import email_templates

KEY_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,79}$"
_KEY = re.compile(KEY_PATTERN)
SOURCES = ("builtin", "override", "custom")


@dataclass(frozen=True)
class TemplateSource:
    """What renders under a key: the environment's row, else the built-in."""

    key: str
    subject: str
    body: str
    text: str | None


def _source(key: str, row: Mapping[str, Any] | None) -> TemplateSource | None:
    if row is not None:
        return TemplateSource(key, row["subject"], row["html"], row["text"])
    builtin = BUILTINS.get(key)
    if builtin is None:
        return None
    return TemplateSource(key, builtin.subject, builtin.body, builtin.text)


def template_view(key: str, row: Mapping[str, Any] | None) -> dict[str, Any]:
    builtin: BuiltinTemplate | None = BUILTINS.get(key)
    source = _source(key, row)
    assert source is not None
    return {
        "key": key,
        "name": builtin.name if builtin is not None else key,
        "subject": source.subject,
        "body": source.body,
        "text": source.text,
        "source": ("builtin" if row is None else "override" if builtin is not None else "custom"),
        "builtin": builtin is not None,
        "overridden": builtin is not None and row is not None,
        "created_at": rfc3339(row["created_at"]) if row is not None else None,
        "updated_at": rfc3339(row["updated_at"]) if row is not None else None,
    }


def _rows(conn: Connection, environment: str, key: str | None = None) -> dict[str, Any]:
    stmt = select(email_templates).where(email_templates.c.environment == environment)
    if key is not None:
        stmt = stmt.where(email_templates.c.key == key)
    return {row["key"]: row for row in conn.execute(stmt).mappings()}


def find(conn: Connection, environment: str, key: str) -> TemplateSource | None:
    """The template ``key`` names in ``environment`` (its override or the built-in), or None."""
    return _source(key, _rows(conn, environment, key).get(key))


def mentions(conn: Connection, environment: str, key: str, name: str,
             sources: dict[str, TemplateSource | None] | None = None) -> bool:
    """Whether template ``key`` (its override or the built-in) reads ``name`` anywhere; found
    through ``sources`` as ``render`` finds it."""
    if sources is None:
        source = find(conn, environment, key)
    else:
        if key not in sources:
            sources[key] = find(conn, environment, key)
        source = sources[key]
    return source is not None and any(
        name in part for part in (source.subject, source.body, source.text or ""))


def render(
    conn: Connection, environment: str, key: str, context: Mapping[str, Any],
    sources: dict[str, TemplateSource | None] | None = None,
) -> Rendered:
    """Subject, HTML and text of template ``key`` with ``context``; an unknown key is an
    InvalidRequest naming ``template``. ``sources``: the templates one transaction found so
    far, by key (a batch of emails looks each up once)."""
    if sources is None:
        source = find(conn, environment, key)
    else:
        if key not in sources:
            sources[key] = find(conn, environment, key)
        source = sources[key]
    if source is None:
        raise InvalidRequest(f"Unknown email template {key!r}.", field="template")
    return render_parts(source.subject, source.body, source.text, context)


def _listed(views: list[dict[str, Any]], query: ListQuery) -> Page:
    for name, values in query.filters.items():
        if name not in {"key", "source"}:
            raise InvalidRequest(f"Unknown filter {name!r}.", field=name)
        if name == "source" and set(values) - set(SOURCES):
            raise InvalidRequest(f"Invalid value for filter 'source': use one of "
                                 f"{', '.join(SOURCES)}.", field="source")
        views = [view for view in views if view[name] in values]
    field, direction = query.sort or ("key", "asc")
    if field != "key":
        raise InvalidRequest(f"Cannot sort by {field!r}; sortable fields: key.", field="sort")
    views.sort(key=lambda view: view["key"], reverse=direction == "desc")
    rows = views[query.offset: query.offset + query.limit]
    return Page(rows=rows, total=len(views), limit=query.limit, offset=query.offset)


def list_templates(ctx: Ctx, query: ListQuery) -> Page:
    """Built-ins and the environment's templates, by key. Filters: key, source."""
    with ctx.uow(read_only=True) as uow:
        rows = _rows(uow.conn, uow.environment)
    keys = sorted(set(BUILTINS) | set(rows))
    return _listed([template_view(key, rows.get(key)) for key in keys], query)


def get_template(ctx: Ctx, key: str) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        row = _rows(uow.conn, uow.environment, key).get(key)
    if row is None and key not in BUILTINS:
        raise NotFound(f"Email template {key!r} was not found.")
    return template_view(key, row)


def save_template(ctx: Ctx, key: str, data: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """Create or replace the environment's template ``key``: (the template, whether created)."""
    if not _KEY.match(key):
        raise InvalidRequest("key must be 1-80 lowercase letters, digits, '_', '.' or '-', "
                             "starting with a letter or digit.", field="key")
    text = data.get("text")
    check_template(data["subject"], data["body"], text)
    with ctx.uow() as uow:
        new = new_id("emt")
        values = {"subject": data["subject"], "html": data["body"], "text": text,
                  "updated_at": uow.now}
        module = postgresql if uow.dialect == "postgresql" else sqlite
        stmt = (
            module.insert(email_templates)
            .values(environment=uow.environment, id=new, key=key, created_at=uow.now, **values)
            .on_conflict_do_update(index_elements=["environment", "key"], set_=values)
            .returning(*email_templates.c)
        )
        row = uow.conn.execute(stmt).mappings().one()
        uow.commit()
    return template_view(key, row), row["id"] == new


def delete_template(ctx: Ctx, key: str) -> dict[str, Any]:
    """Delete the environment's template ``key``; for an override, the built-in is back."""
    with ctx.uow() as uow:
        row = _rows(uow.conn, uow.environment, key).get(key)
        if row is None:
            if key in BUILTINS:
                raise Conflict(f"Email template {key!r} is a built-in without an override: "
                               "there is nothing to delete (save the key to override it).",
                               field="key")
            raise NotFound(f"Email template {key!r} was not found.")
        uow.conn.execute(delete(email_templates).where(email_templates.c.seq == row["seq"]))
        uow.commit()
    return {"key": key, "deleted": True,
            "current": template_view(key, None) if key in BUILTINS else None}


def known_keys(conn: Connection, environment: str, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` name a template in ``environment`` (to check a definition's steps)."""
    wanted = set(keys)
    found = {k for k in wanted if k in BUILTINS}
    rest = wanted - found
    if rest:
        found |= set(conn.execute(
            select(email_templates.c.key).where(email_templates.c.environment == environment,
                                                email_templates.c.key.in_(sorted(rest)))
        ).scalars())
    return found
