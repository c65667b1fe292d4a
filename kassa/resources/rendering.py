"""One renderer for every response model: ``render(Model, row, **extra) -> dict``.

The first time a model is rendered (with a given set of ``extra`` names) its fields are read
once and compiled into one function that builds the dict the way a hand-written view would
(``{"id": row["id"], "amount": money(row["amount"]), ...}``), so rendering costs what the
hand-written views did. Each field is converted by its annotation:

- a ``Convert`` marker (``DecimalString``, ``Timestamp``, ``DateString``): its function;
- a nested response model, or a list of them: rendered (copied when marked ``Stored``);
- another list or dict: copied (``list(...)``, ``dict(...)``); a bool: ``bool(...)``;
- anything else: the value as stored.

A field is read from the column of its name as shown (its alias, if any), or the one its ``From``
marker names; ``render_object`` reads a domain object's attributes of those names instead.
A field whose value is computed, not stored, is passed in ``extra`` (by its Python
name) by the caller, already in response form.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from kassa.resources.fields import Convert, From, Stored

Renderer = Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]

_compiled: dict[Any, Renderer] = {}


def render(model: type[BaseModel], source: Mapping[str, Any], /, **extra: Any) -> dict[str, Any]:
    """``source`` (a row mapping) as ``model`` shows it; ``extra`` holds the computed fields."""
    key = (model, *extra) if extra else model
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = _compiled[key] = _compile(model, tuple(extra))
    return compiled(source, extra)


def renderer(model: type[BaseModel]) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """``render`` bound to ``model`` with no extra fields (for ``map`` and the like)."""
    compiled = _compiled.get(model) or _compiled.setdefault(model, _compile(model, ()))
    return lambda source: compiled(source, _NO_EXTRA)


def render_object(model: type[BaseModel], source: object, /, **extra: Any) -> dict[str, Any]:
    """``render`` for a domain object (``kassa.domain.billing.invoice.Invoice``...): fields are
    its attributes, and nested models render its nested objects the same way."""
    key = ("attributes", model, *extra)
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = _compiled[key] = _compile(model, tuple(extra), attributes=True)
    return compiled(source, extra)  # type: ignore[arg-type]


def _object_renderer(model: type[BaseModel]) -> Callable[[Any], dict[str, Any]]:
    key = ("attributes", model)
    compiled = _compiled.get(key) or _compiled.setdefault(key, _compile(model, (), True))
    return lambda source: compiled(source, _NO_EXTRA)


_NO_EXTRA: Mapping[str, Any] = types.MappingProxyType({})


def _compile(model: type[BaseModel], extra: tuple[str, ...], attributes: bool = False) -> Renderer:
    fields = model.model_fields
    unknown = [name for name in extra if name not in fields]
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(unknown)}")
    names: dict[str, Any] = {}
    entries = []
    for name, field in fields.items():
        if name in extra:
            value = f"extra[{name!r}]"
        else:
            column = _column(field, name)
            read = f"row.{column}" if attributes else f"row[{column!r}]"
            value = _expression(field, read, names, attributes)
        entries.append(f"{field.alias or name!r}: {value}")
    source = "def _render(row, extra):\n    return {" + ", ".join(entries) + "}\n"
    namespace = dict(names)
    exec(compile(source, f"<render {model.__qualname__}>", "exec"), namespace)  # noqa: S102
    return namespace["_render"]  # type: ignore[no-any-return]


def _column(field: FieldInfo, name: str) -> str:
    """The column named by the field's ``From`` marker, else the field's name as shown."""
    found = [m.column for m in _markers(field) if isinstance(m, From)]
    return found[0] if found else field.alias or name


def _markers(field: FieldInfo) -> list[Any]:
    """The field's metadata, including that of an ``X | None`` annotation's ``X``."""
    markers = list(field.metadata)
    inner, _ = _optional(field.annotation)
    if typing.get_origin(inner) is typing.Annotated:
        markers += list(inner.__metadata__)
    return markers


def _optional(annotation: Any) -> tuple[Any, bool]:
    """``(X, True)`` for ``X | None``, ``(annotation, False)`` otherwise."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(args) < len(typing.get_args(annotation)):
            return args[0], True
    return annotation, False


def _expression(field: FieldInfo, value: str, names: dict[str, Any], attributes: bool) -> str:
    """The Python expression that converts ``value`` (source text) as ``field`` declares."""
    markers = _markers(field)
    for marker in markers:
        if isinstance(marker, Convert):
            return _call(names, marker.function, value, nullable=False)
    inner, nullable = _optional(field.annotation)
    while typing.get_origin(inner) is typing.Annotated:
        inner = typing.get_args(inner)[0]
    stored = any(isinstance(m, Stored) for m in markers)
    origin, args = typing.get_origin(inner), typing.get_args(inner)
    nested = _object_renderer if attributes else renderer
    if isinstance(inner, type) and issubclass(inner, BaseModel) and not stored:
        return _call(names, nested(inner), value, nullable)
    if origin is list and args and _is_model(args[0]) and not stored:
        return _call(names, _list_of(nested(args[0])), value, nullable)
    if origin is list or inner is list:
        return _call(names, list, value, nullable)
    if origin is dict or inner is dict:
        return _call(names, dict, value, nullable)
    if inner is bool:
        return _call(names, bool, value, nullable)
    return value


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _list_of(render_one: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    return lambda items: [render_one(item) for item in items]


def _call(names: dict[str, Any], function: Callable[[Any], Any], value: str, nullable: bool) -> str:
    name = f"_f{len(names)}"
    names[name] = function
    if nullable:
        return f"(None if (_v := {value}) is None else {name}(_v))"
    return f"{name}({value})"
