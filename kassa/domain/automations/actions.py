"""The actions an automation step can take and the parameters each accepts.

Parameters sit on the step beside ``action``, as the document writes them
(``{"type": "action", "action": "send_email", "template": "payment_failed_first", "to": ...}``).
Texts may hold ``{{ }}`` references and are rendered when the step runs (kassa.automations
.expressions); they are checked at parse time through the injected ``check_template``.

``send_email`` without ``to`` writes to ``{{customer.email}}``. Its ``template`` may be left out
as the document's fallback example does: such a step then fails when it runs ("send_email needs
a template") and its ``onError`` steps take over.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, TypeAlias

from kassa.domain.errors import InvalidRequest

MAX_TEXT_CHARS = 10_000
CheckTemplate: TypeAlias = Callable[[str, str], None]
DEFAULT_EMAIL_TO = "{{customer.email}}"
_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]{0,99}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


@dataclass(frozen=True)
class Param:
    kind: str  # text, texts, key, bool, amount, url, fields, json
    required: bool = False


_TEXT, _URL = Param("text"), Param("url")
_INVOICE = {"invoice_id": _TEXT}
ACTIONS: Mapping[str, Mapping[str, Param]] = MappingProxyType({
    "send_email": {"template": Param("key"), "to": _TEXT, "cc": Param("texts"),
                   "attach_invoice": Param("bool")},
    "send_sms": {"to": Param("text", True), "message": Param("text", True)},
    "send_slack": {"message": Param("text", True), "webhook_url": _URL},
    "send_webhook": {"url": Param("url", True), "payload": Param("json"), "secret": _TEXT},
    "retry_payment": _INVOICE,
    "void_invoice": _INVOICE,
    "create_credit_note": {**_INVOICE, "amount": Param("amount"), "reason": _TEXT},
    "apply_credits": _INVOICE,
    "update_customer": {"fields": Param("fields", True)},
    "add_tag": {"tag": Param("text", True)},
    "create_task": {"message": Param("text", True), "assignee": _TEXT, "title": _TEXT,
                    "customer_id": _TEXT, **_INVOICE},
    "sync_to_crm": {},
})
# Workflow actions are steps of their own: {"type": "action", "action": "delay", ...} is a delay.
WORKFLOW_ACTIONS = ("delay", "branch", "loop", "stop")


def parse_params(action: str, data: Mapping[str, Any], field: str,
                 check: CheckTemplate | None) -> Mapping[str, Any]:
    """The parameters of ``action`` found in ``data`` (the step's other keys), checked."""
    spec = ACTIONS[action]
    for key in data:
        if key not in spec:
            known = ", ".join(spec) or "none"
            raise InvalidRequest(f"{action} has no parameter {key!r} (its parameters: {known})",
                                 field=f"{field}.{key}")
    params: dict[str, Any] = {}
    for key, param in spec.items():
        value = data.get(key)
        if value is None:
            if param.required:
                raise InvalidRequest(f"{action} needs {key}", field=f"{field}.{key}")
            continue
        params[key] = _READERS[param.kind](value, f"{field}.{key}", check)
    if action == "send_email":
        params.setdefault("to", DEFAULT_EMAIL_TO)
    return freeze(params)


def _text(value: object, field: str, check: CheckTemplate | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest("a non-empty text is needed", field=field)
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidRequest(f"at most {MAX_TEXT_CHARS} characters", field=field)
    if check is not None and ("{{" in value or "{%" in value):
        check(value, field)
    return value


def _texts(value: object, field: str, check: CheckTemplate | None) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(_text(item, f"{field}[{i}]" if isinstance(value, list) else field, check)
                 for i, item in enumerate(items))


def _key(value: object, field: str, check: CheckTemplate | None) -> str:
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        raise InvalidRequest(f"{value!r} is not a template key such as payment_failed_first",
                             field=field)
    return value


def _bool(value: object, field: str, check: CheckTemplate | None) -> bool:
    if not isinstance(value, bool):
        raise InvalidRequest("true or false", field=field)
    return value


def _amount(value: object, field: str, check: CheckTemplate | None) -> str:
    """A positive decimal amount as text (``"25.00"``), or a template such as ``{{invoice.total}}``."""
    if isinstance(value, str) and "{{" in value:
        return _text(value, field, check)
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        amount = None
    if isinstance(value, bool) or amount is None or not amount.is_finite() or amount <= 0:
        raise InvalidRequest("a positive amount such as \"25.00\" is needed", field=field)
    return format(amount, "f")


def _url(value: object, field: str, check: CheckTemplate | None) -> str:
    text = _text(value, field, check)
    if "{{" not in text and not re.match(r"https?://[^\s/]+", text):
        raise InvalidRequest("an http:// or https:// URL is needed", field=field)
    return text


def _fields(value: object, field: str, check: CheckTemplate | None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not value:
        raise InvalidRequest("an object of customer fields to set is needed", field=field)
    for name in value:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InvalidRequest(f"{name!r} is not a field name", field=f"{field}.{name}")
    return _json(value, field, check)


def _json(value: object, field: str, check: CheckTemplate | None) -> Any:
    """Any JSON value; its texts are templates."""
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise InvalidRequest(f"object keys are texts, not {key!r}", field=field)
        return {key: _json(item, f"{field}.{key}", check) for key, item in value.items()}
    if isinstance(value, list):
        return [_json(item, f"{field}[{i}]", check) for i, item in enumerate(value)]
    if isinstance(value, str):
        return _text(value, field, check) if value.strip() else value
    if isinstance(value, float):
        return Decimal(repr(value))
    if value is None or isinstance(value, (bool, int, Decimal)):
        return value
    raise InvalidRequest(f"not a JSON value: {type(value).__name__}", field=field)


_READERS: dict[str, Callable[[Any, str, CheckTemplate | None], Any]] = {
    "text": _text, "texts": _texts, "key": _key, "bool": _bool, "amount": _amount,
    "url": _url, "fields": _fields, "json": _json,
}


def freeze(value: Any) -> Any:
    """Mappings as read-only mappings and lists as tuples, all the way down."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """``freeze`` undone: plain dicts and lists, for JSON."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value
