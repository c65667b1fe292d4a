"""Conditions of automations: the three forms of the document, parsed into one small tree.

    "{{trigger.failureCount}} == 1"                      Expression: a sandboxed Jinja2
                                                         expression, compiled and evaluated by
                                                         kassa.automations.expressions
    'invoice.amount > 1000 AND customer.segment = "enterprise"'
                                                         text rules: parsed here into the tree
    {"field": "invoice.amount", "operator": "greater_than", "value": 1000}
                                                         a structured Rule
    {"and": [...]} / {"or": [...]} / [...] (and)          AllOf / AnyOf
    {"if": <any of these>}                               the same condition

A string holding ``{{`` is an expression, any other string is text rules (an optional leading
``IF`` and trailing ``THEN continue ELSE skip`` as the document writes them are allowed). Rules
are evaluated here, purely, against a context mapping read by dotted paths; a missing value is
None (so it equals only null, differs from everything else and orders with nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeAlias

from kassa.domain.automations.comparison import compare
from kassa.domain.errors import InvalidRequest

MAX_EXPRESSION_CHARS = 2000
PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
# The field of a rule, or the collection of a loop, may be written bare or as ``{{ path }}``.
_BRACED_PATH = re.compile(r"\{\{\s*(" + PATH.pattern + r")\s*\}\}")

OPERATORS = (
    "equals", "not_equals", "greater_than", "greater_than_or_equal", "less_than",
    "less_than_or_equal", "contains", "in",
)
_SYMBOLS = {
    "=": "equals", "==": "equals", "!=": "not_equals", ">": "greater_than",
    ">=": "greater_than_or_equal", "<": "less_than", "<=": "less_than_or_equal",
}


@dataclass(frozen=True)
class Expression:
    """A Jinja2 expression with ``{{ }}`` references, e.g. ``{{invoice.status}} == 'unpaid'``."""

    text: str


@dataclass(frozen=True)
class Rule:
    """``field`` (a dotted path into the context) compared by ``operator`` with ``value``."""

    field: str
    operator: str
    value: Any


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]


Condition: TypeAlias = Expression | Rule | AllOf | AnyOf
CheckExpression: TypeAlias = Callable[[str, str], None]
EvaluateExpression: TypeAlias = Callable[[str, Mapping[str, Any]], bool]


# ---------------------------------------------------------------------------------- parsing

def parse_condition(data: object, field: str, check: CheckExpression | None = None) -> Condition:
    """Any of the forms above; InvalidRequest names ``field`` or the part below it."""
    if isinstance(data, str):
        if "{{" in data:
            if len(data) > MAX_EXPRESSION_CHARS:
                raise InvalidRequest(
                    f"an expression can be at most {MAX_EXPRESSION_CHARS} characters", field=field
                )
            if check is not None:
                check(data, field)
            return Expression(data)
        return parse_text_rules(data, field)
    if isinstance(data, list):
        return AllOf(_parse_all(data, field, check))
    if not isinstance(data, Mapping):
        raise InvalidRequest(
            "a condition is an expression, text rules, a {field, operator, value} rule or "
            "{and: [...]} / {or: [...]}",
            field=field,
        )
    keys = set(data)
    for combinator, kind in (("and", AllOf), ("or", AnyOf)):
        if combinator in keys:
            _only(data, {combinator}, field)
            items = data[combinator]
            if not isinstance(items, list):
                raise InvalidRequest("a list of conditions is needed", field=f"{field}.{combinator}")
            return kind(_parse_all(items, f"{field}.{combinator}", check))
    if "if" in keys:
        _only(data, {"if"}, field)
        return parse_condition(data["if"], f"{field}.if", check)
    _only(data, {"field", "operator", "value"}, field)
    for key in ("field", "operator", "value"):
        if key not in data:
            raise InvalidRequest(f"a rule needs {key}", field=f"{field}.{key}")
    path = rule_path(data["field"], f"{field}.field")
    operator = operator_name(data["operator"], f"{field}.operator")
    return Rule(path, operator, _rule_value(data["value"], operator, f"{field}.value"))


def _parse_all(items: list, field: str, check: CheckExpression | None) -> tuple[Condition, ...]:
    if not items:
        raise InvalidRequest("at least one condition is needed", field=field)
    return tuple(parse_condition(item, f"{field}[{i}]", check) for i, item in enumerate(items))


def _only(data: Mapping, allowed: set[str], field: str) -> None:
    for key in data:
        if key not in allowed:
            raise InvalidRequest(f"unknown condition field {key!r}", field=f"{field}.{key}")


def rule_path(value: object, field: str) -> str:
    """A dotted context path (``invoice.customer.email``), bare or in ``{{ }}``."""
    if isinstance(value, str):
        text = value.strip()
        braced = _BRACED_PATH.fullmatch(text)
        if braced:
            return braced.group(1)
        if PATH.fullmatch(text):
            return text
    raise InvalidRequest(f"{value!r} is not a dotted path such as invoice.amount", field=field)


def operator_name(value: object, field: str) -> str:
    if isinstance(value, str):
        name = _SYMBOLS.get(value.strip()) or re.sub(r"[\s-]+", "_", value.strip().lower())
        if name in OPERATORS:
            return name
    raise InvalidRequest(
        f"unknown operator {value!r}: use one of {', '.join(OPERATORS)} or = == != > >= < <=",
        field=field,
    )


def _rule_value(value: object, operator: str, field: str) -> Any:
    if isinstance(value, list):
        return tuple(_scalar(item, f"{field}[{i}]") for i, item in enumerate(value))
    if operator == "in" and not isinstance(value, str):
        raise InvalidRequest("'in' compares with a list (or a text)", field=field)
    return _scalar(value, field)


def _scalar(value: object, field: str) -> Any:
    if value is None or isinstance(value, (bool, str, int, Decimal)):
        return value
    if isinstance(value, float):  # JSON and YAML numbers: exactly as written, never binary
        return Decimal(repr(value))
    raise InvalidRequest("a rule compares with text, a number, true/false, null or a list",
                         field=field)


# Text rules: path operator value, joined by AND / OR (AND binds tighter), parentheses.
_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
        |(?P<number>-?\d+(?:\.\d+)?(?![\w.]))
        |(?P<symbol>==|!=|>=|<=|=|>|<|\(|\)|\[|\]|,)
        |(?P<word>[A-Za-z_][A-Za-z0-9_.]*))""",
    re.VERBOSE,
)
_WORDS = {"true": True, "false": False, "null": None}


def parse_text_rules(text: str, field: str) -> Condition:
    """``invoice.amount > 1000 AND customer.segment = "enterprise"`` -> the tree."""
    body = re.sub(r"^\s*IF\s+", "", text, flags=re.IGNORECASE)
    body = re.sub(r"\s+THEN\s+continue(?:\s+ELSE\s+skip)?\s*$", "", body, flags=re.IGNORECASE)
    tokens = _tokens(body, field)
    parser = _TextParser(tokens, field)
    tree = parser.either()
    if parser.position != len(tokens):
        parser.fail(f"unexpected {tokens[parser.position][1]!r}")
    return tree


def _tokens(text: str, field: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if match is None:
            raise InvalidRequest(f"cannot read the condition at {text[position:].strip()!r}",
                                 field=field)
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    if not tokens:
        raise InvalidRequest("the condition is empty", field=field)
    return tokens


class _TextParser:
    def __init__(self, tokens: list[tuple[str, str]], field: str) -> None:
        self.tokens, self.field, self.position = tokens, field, 0

    def fail(self, detail: str) -> None:
        raise InvalidRequest(f"condition: {detail}", field=self.field)

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end":
            self.fail("it ends too early")
        self.position += 1
        return token

    def _joined(self, word: str, inner: Callable[[], Condition], kind: type) -> Condition:
        parts = [inner()]
        while self.peek()[0] == "word" and self.peek()[1].upper() == word:
            self.position += 1
            parts.append(inner())
        return parts[0] if len(parts) == 1 else kind(tuple(parts))

    def either(self) -> Condition:
        return self._joined("OR", self.both, AnyOf)

    def both(self) -> Condition:
        return self._joined("AND", self.single, AllOf)

    def single(self) -> Condition:
        if self.peek() == ("symbol", "("):
            self.position += 1
            inner = self.either()
            if self.peek() != ("symbol", ")"):
                self.fail("a ')' is missing")
            self.position += 1
            return inner
        kind, path = self.take()
        if kind != "word" or not PATH.fullmatch(path):
            self.fail(f"expected a field such as invoice.amount, not {path!r}")
        kind, op = self.take()
        operator = _SYMBOLS.get(op) if kind == "symbol" else op.lower()
        if operator not in OPERATORS:
            self.fail(f"unknown operator {op!r}")
        value = self.listed() if operator == "in" and self.peek() == ("symbol", "[") else self.value()
        return Rule(path, operator, value)

    def listed(self) -> tuple[Any, ...]:
        self.position += 1
        items = []
        while self.peek() != ("symbol", "]"):
            items.append(self.value())
            if self.peek() == ("symbol", ","):
                self.position += 1
            elif self.peek() != ("symbol", "]"):
                self.fail("a ']' is missing")
        self.position += 1
        return tuple(items)

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "number":
            return int(text) if re.fullmatch(r"-?\d+", text) else Decimal(text)
        if kind == "word" and text.lower() in _WORDS:
            return _WORDS[text.lower()]
        self.fail(f"expected a value (a number, \"text\", true, false or null), not {text!r}")


def condition_to_data(condition: Condition) -> Any:
    """The canonical form: ``{"if": text}``, ``{field, operator, value}``, ``{"and"|"or": [...]}``."""
    if isinstance(condition, Expression):
        return {"if": condition.text}
    if isinstance(condition, Rule):
        value = list(condition.value) if isinstance(condition.value, tuple) else condition.value
        return {"field": condition.field, "operator": condition.operator, "value": value}
    key = "and" if isinstance(condition, AllOf) else "or"
    return {key: [condition_to_data(part) for part in condition.conditions]}


def expressions_in(condition: Condition) -> list[str]:
    """The expression texts in ``condition``, in order."""
    if isinstance(condition, Expression):
        return [condition.text]
    if isinstance(condition, Rule):
        return []
    return [text for part in condition.conditions for text in expressions_in(part)]


# ------------------------------------------------------------------------------- evaluation

def evaluate(
    condition: Condition,
    context: Mapping[str, Any],
    *,
    expression: EvaluateExpression | None = None,
) -> bool:
    """Whether ``condition`` holds in ``context``; expressions go to ``expression``."""
    if isinstance(condition, Expression):
        if expression is None:
            raise TypeError("an expression condition needs an expression evaluator")
        return expression(condition.text, context)
    if isinstance(condition, Rule):
        return compare(condition.operator, resolve(context, condition.field), condition.value)
    parts = (evaluate(part, context, expression=expression) for part in condition.conditions)
    return all(parts) if isinstance(condition, AllOf) else any(parts)


def resolve(context: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path`` in nested mappings, or None where any step is missing."""
    value: Any = context
    for name in path.split("."):
        if not isinstance(value, Mapping) or name not in value:
            return None
        value = value[name]
    return value
