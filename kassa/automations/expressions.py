"""Automation expressions and templates, in Jinja2's immutable sandbox (never Python ``eval``).

    compile_condition("{{trigger.failureCount}} == 1")   each ``{{ x }}`` becomes ``(x)`` and the
                                                        whole is one Jinja2 expression
    evaluate(text, context) -> bool                     that expression against the context
    render("Hi {{customer.name}}", context) -> str      a parameter such as ``to`` or ``message``
    check / check_template(text, field)                 parse-time checks for parse_definition

Undefined names and None render as "". Undefined names compare false (``{{missing}} > 1`` is
false, never an error; ``a.b.c`` under a missing ``a`` is undefined too). A name is looked up in a mapping before any
attribute, so ``invoice.items`` is the invoice's items, not ``dict.items``. Reaching for
internals (``__class__``, ``__globals__``, any ``_name``) is refused at parse time and, should
such a text get past it, at run time: InvalidRequest, never a silently empty value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from kassa.domain.automations.conditions import Condition
from kassa.domain.automations.conditions import evaluate as evaluate_rules
from kassa.domain.errors import InvalidRequest

_REFERENCE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


class _Blank(ChainableUndefined):
    """Undefined: renders as "", is false, and orders with nothing (comparisons are false)."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return False

    __le__ = __gt__ = __ge__ = __lt__


class _Sandbox(ImmutableSandboxedEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        raise SecurityError(f"access to {attribute!r} is not allowed")


def _finalize(value: Any) -> Any:
    """What ``{{ x }}`` prints: "" for None (a customer without an email is no "None")."""
    return "" if value is None else value


_ENV = _Sandbox(undefined=_Blank, autoescape=False, finalize=_finalize)


def _source(text: str) -> str:
    """``{{a}} == 'x'`` -> ``(a) == 'x'``: one expression from the document's notation."""
    return _REFERENCE.sub(lambda match: f"({match.group(1).strip()})", text)


def _refuse_internals(tree: nodes.Node, field: str | None) -> None:
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        name = getattr(node, "attr", None) or getattr(node, "name", None)
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        if isinstance(name, str) and name.startswith("_"):
            raise InvalidRequest(f"{name!r} is not allowed in an automation expression",
                                 field=field)


@lru_cache(maxsize=1024)
def compile_condition(text: str, field: str | None = None) -> Callable[..., Any]:
    """The compiled expression of a condition text; InvalidRequest (naming ``field``) if bad."""
    source = _source(text)
    if "{%" in source or "{{" in source or "}}" in source:
        raise InvalidRequest("a condition is one expression: {{ }} references, no {% %} blocks",
                             field=field)
    try:
        tree = _ENV.parse(f"{{{{ {source} }}}}")
        _refuse_internals(tree, field)
        return _ENV.compile_expression(source, undefined_to_none=False)
    except TemplateSyntaxError as error:
        raise InvalidRequest(f"the condition {text!r} is not valid: {error.message}",
                             field=field) from None


@contextmanager
def _refusals(what: str, text: str, done: str) -> Iterator[None]:
    """What the sandbox refuses, and what fails while running, as InvalidRequest."""
    try:
        yield
    except SecurityError as error:
        raise InvalidRequest(f"{what} {text!r} is not allowed: {error}") from None
    except (TypeError, ValueError, ArithmeticError, UndefinedError) as error:
        raise InvalidRequest(f"{what} {text!r} could not be {done}: {error}") from None


def check(text: str, field: str) -> None:
    """Raise InvalidRequest naming ``field`` unless ``text`` compiles as a condition."""
    compile_condition(text, field)


def evaluate_expression(text: str, context: Mapping[str, Any]) -> bool:
    """Whether the condition expression ``text`` holds in ``context``."""
    expression = compile_condition(text)
    with _refusals("the condition", text, "evaluated"):
        return bool(expression(**context))


def evaluate(condition: Condition, context: Mapping[str, Any]) -> bool:
    """A whole condition tree: rules in the domain, expressions here."""
    return evaluate_rules(condition, context, expression=evaluate_expression)


@lru_cache(maxsize=1024)
def _template(text: str, field: str | None = None) -> Any:
    try:
        _refuse_internals(_ENV.parse(text), field)
        return _ENV.from_string(text)
    except TemplateSyntaxError as error:
        raise InvalidRequest(f"the template {text!r} is not valid: {error.message}",
                             field=field) from None


def check_template(text: str, field: str) -> None:
    """Raise InvalidRequest naming ``field`` unless ``text`` is a valid template."""
    _template(text, field)


def render(template: str, context: Mapping[str, Any]) -> str:
    """``template`` with its ``{{ }}`` references filled from ``context``."""
    compiled = _template(template)
    with _refusals("the template", template, "rendered"):
        return compiled.render(context)
