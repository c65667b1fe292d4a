"""Safe pricing expressions: a small arithmetic language checked and compiled from Python's AST.

Nothing is ever passed to ``eval`` or compiled to bytecode. The source is parsed with ``ast``,
every node is checked against an allow-list, and the tree becomes plain closures over the Decimal
operations of ``expression_ops``.

Allowed:
    numbers            12, 0.015, 1e3, 1_000 (read from the source text as Decimal, exactly)
    arithmetic         + - * / // % ** and unary - +; ``//`` and ``%`` floor like Python's
    comparisons        < <= > >= == != (chains too); they give 1 or 0
    logic              and, or, not; ``a if condition else b``
    functions          min(a, b, ...), max(a, b, ...), ceil(x), floor(x), abs(x),
                       round(x) / round(x, digits) (half up, as money is rounded)
    variables          quantity; usage.<name>; usage["name.with.dots"] (missing usage is 0)

Limits: source <= 1000 characters, <= 400 nodes, nesting depth <= 40, exponents whole numbers with
|exponent| <= 64, magnitudes below 1e1000, 60 significant digits. ``compile_expression`` raises
InvalidExpression naming what is not allowed and where; ``Expression.evaluate`` raises nothing else.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation, Overflow, localcontext
from functools import lru_cache
from typing import Any

from kassa.domain.errors import InvalidExpression
from kassa.domain.expression_ops import (
    BINARY,
    COMPARE,
    CONTEXT,
    FUNCTIONS,
    MAX_ADJUSTED_EXPONENT,
    ONE,
    ZERO,
    check_exponent,
    flag,
    number,
    truth,
)

MAX_SOURCE_CHARS = 1000
MAX_NODES = 400
MAX_DEPTH = 40


class _Env:
    """The values an expression reads: ``quantity`` and the ``usage`` mapping."""

    __slots__ = ("quantity", "usage")

    def __init__(self, quantity: object, usage: Mapping[str, object]) -> None:
        self.quantity = quantity
        self.usage = usage


Node = Callable[[_Env], Decimal]


_SYMBOLS = {
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Invert: "~",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}

_CONSTRUCTS = {
    ast.Lambda: "lambda",
    ast.NamedExpr: "':=' assignments",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Starred: "'*' unpacking",
    ast.Slice: "slices",
}


# --- compilation -------------------------------------------------------------------------------


def _position(line: int, column: int) -> str:
    return f"at column {column}" if line == 1 else f"at line {line}, column {column}"


def _where(node: ast.AST) -> str:
    return _position(getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1)


class _Compiler:
    """Checks one parsed expression against the allow-list and builds its closures."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.usage_names: list[str] = []
        self.uses_quantity = False

    def refuse(self, node: ast.AST, what: str) -> InvalidExpression:
        return InvalidExpression(f"{what} {_where(node)}.")

    def _refuse_operator(self, node: ast.AST, op: ast.AST) -> InvalidExpression:
        return self.refuse(
            node, f"The operator {_SYMBOLS.get(type(op), type(op).__name__)!r} is not allowed"
        )

    def compile(self, node: ast.AST) -> Node:
        handler = getattr(self, "_" + type(node).__name__, None)
        if handler is None:
            construct = _CONSTRUCTS.get(type(node), type(node).__name__)
            raise self.refuse(node, f"Not allowed: {construct}")
        return handler(node)

    def _Constant(self, node: ast.Constant) -> Node:
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise self.refuse(node, f"{value!r} is not allowed (use numbers; 1 and 0 for yes/no)")
        if isinstance(value, str):
            raise self.refuse(node, 'Text is only allowed as a usage name: usage["name"]')
        if isinstance(value, int):
            literal = Decimal(value)
        elif isinstance(value, float):  # re-read the literal's source text, never its binary value
            text = ast.get_source_segment(self.source, node)
            try:
                literal = Decimal((text or "").replace("_", ""))
            except InvalidOperation:
                raise self.refuse(node, f"Cannot read the number {text!r}") from None
        else:
            raise self.refuse(node, f"The literal {value!r} is not allowed")
        if not literal.is_zero() and literal.adjusted() > MAX_ADJUSTED_EXPONENT:
            raise self.refuse(node, "Numbers must be below 1e1000 in magnitude")
        return lambda env: literal

    def _Name(self, node: ast.Name) -> Node:
        if node.id == "quantity":
            self.uses_quantity = True
            return _read_quantity
        if node.id == "usage":
            raise self.refuse(node, 'Use usage.<name> or usage["name"], not usage alone')
        if node.id in FUNCTIONS:
            raise self.refuse(node, f"{node.id} must be called, as in {node.id}(...)")
        raise self.refuse(
            node, f'Unknown name {node.id!r}: use quantity, usage.<name> or usage["name"]'
        )

    def _usage(self, name: str) -> Node:
        if name not in self.usage_names:
            self.usage_names.append(name)
        return lambda env: _read_usage(env, name)

    def _Attribute(self, node: ast.Attribute) -> Node:
        if isinstance(node.value, ast.Name) and node.value.id == "usage":
            return self._usage(node.attr)
        raise self.refuse(node, f"Attribute access (.{node.attr}) is only allowed as usage.<name>")

    def _Subscript(self, node: ast.Subscript) -> Node:
        index = node.slice
        if (
            isinstance(node.value, ast.Name)
            and node.value.id == "usage"
            and isinstance(index, ast.Constant)
            and isinstance(index.value, str)
        ):
            return self._usage(index.value)
        raise self.refuse(node, 'Indexing is only allowed as usage["name"]')

    def _BinOp(self, node: ast.BinOp) -> Node:
        operation = BINARY.get(type(node.op))
        if operation is None:
            raise self._refuse_operator(node, node.op)
        left, right = self.compile(node.left), self.compile(node.right)
        if isinstance(node.op, ast.Pow) and _is_literal(node.right):
            with localcontext(CONTEXT):  # refuse 2 ** 100 now, not at billing time
                check_exponent(right(_Env(None, {})))
        return lambda env: operation(left(env), right(env))

    def _UnaryOp(self, node: ast.UnaryOp) -> Node:
        operand = self.compile(node.operand)
        if isinstance(node.op, ast.USub):
            return lambda env: -operand(env)
        if isinstance(node.op, ast.UAdd):
            return lambda env: +operand(env)
        if isinstance(node.op, ast.Not):
            return lambda env: flag(not truth(operand(env)))
        raise self._refuse_operator(node, node.op)

    def _Compare(self, node: ast.Compare) -> Node:
        tests = []
        for op in node.ops:
            test = COMPARE.get(type(op))
            if test is None:
                raise self._refuse_operator(node, op)
            tests.append(test)
        first = self.compile(node.left)
        rest = [self.compile(c) for c in node.comparators]

        def compare(env: _Env) -> Decimal:
            left = first(env)
            for test, right_node in zip(tests, rest, strict=True):
                right = right_node(env)
                if not test(left, right):
                    return ZERO
                left = right
            return ONE

        return compare

    def _BoolOp(self, node: ast.BoolOp) -> Node:
        values = [self.compile(v) for v in node.values]
        stop_when = isinstance(node.op, ast.Or)  # `or` stops at a true value, `and` at a false one

        def boolean(env: _Env) -> Decimal:
            value = ZERO
            for operand in values:
                value = operand(env)
                if truth(value) == stop_when:
                    break
            return value

        return boolean

    def _IfExp(self, node: ast.IfExp) -> Node:
        test = self.compile(node.test)
        body, orelse = self.compile(node.body), self.compile(node.orelse)
        return lambda env: body(env) if truth(test(env)) else orelse(env)

    def _Call(self, node: ast.Call) -> Node:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            shown = name or ast.unparse(node.func)
            raise self.refuse(
                node, f"Unknown function {shown!r}: use {', '.join(sorted(FUNCTIONS))}"
            )
        function, least, most = FUNCTIONS[name]
        if node.keywords:
            raise self.refuse(node, f"{name}() takes no keyword arguments")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.refuse(node, f"{name}() takes no '*' arguments")
        count = len(node.args)
        if count < least or (most is not None and count > most):
            if most is None:
                wanted = f"{least} or more"
            else:
                wanted = f"{least}" if least == most else f"{least} to {most}"
            raise self.refuse(node, f"{name}() takes {wanted} arguments, not {count}")
        arguments = [self.compile(a) for a in node.args]
        return lambda env: function(*(a(env) for a in arguments))


def _is_literal(node: ast.AST) -> bool:
    """A number, possibly signed: its value is known when the expression is compiled."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant)


def _read_quantity(env: _Env) -> Decimal:
    if env.quantity is None:
        raise InvalidExpression("The expression uses quantity, but no quantity was given.")
    return number(env.quantity, "quantity")


def _read_usage(env: _Env, name: str) -> Decimal:
    value = env.usage.get(name)
    return ZERO if value is None else number(value, f"usage[{name!r}]")


def _check_size(tree: ast.AST) -> None:
    """Bound the node count and nesting depth without recursion (the tree is untrusted)."""
    nodes, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)):
            continue
        nodes += 1
        if nodes > MAX_NODES:
            raise InvalidExpression(f"The expression is too large (more than {MAX_NODES} parts).")
        if depth > MAX_DEPTH:
            raise InvalidExpression(
                f"The expression is nested too deeply (over {MAX_DEPTH} levels)."
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


@dataclass(frozen=True)
class Expression:
    """A checked expression; ``variables`` are the usage names it reads, in order of appearance."""

    source: str
    variables: tuple[str, ...]
    uses_quantity: bool
    _root: Node = field(repr=False, compare=False)

    def evaluate(self, variables: Mapping[str, Any] | None = None) -> Decimal:
        """The value for ``{"quantity": Decimal, "usage": {name: Decimal}}``.

        Raises only InvalidExpression (division by zero, overflow, bad variable values, ...).
        """
        variables = {} if variables is None else variables
        if not isinstance(variables, Mapping):
            raise InvalidExpression("Expression variables must be a mapping.")
        usage = variables.get("usage") or {}
        if not isinstance(usage, Mapping):
            raise InvalidExpression("usage must be a mapping of names to numbers.")
        env = _Env(variables.get("quantity"), usage)
        try:
            with localcontext(CONTEXT):
                return +self._root(env)  # unary plus applies the context's limits to the result
        except InvalidExpression:
            raise
        except ZeroDivisionError:
            raise InvalidExpression(f"Division by zero in {self.source!r}.") from None
        except Overflow:
            raise InvalidExpression(f"A number grew too large in {self.source!r}.") from None
        except (ArithmeticError, ValueError, RecursionError, MemoryError):
            raise InvalidExpression(f"Cannot evaluate {self.source!r}.") from None


def compile_expression(source: str) -> Expression:
    """Check and compile ``source``; InvalidExpression says what is not allowed and where."""
    if not isinstance(source, str):
        raise InvalidExpression("An expression must be text.")
    return _compile(source)


@lru_cache(maxsize=1024)
def _compile(source: str) -> Expression:
    if not source.strip():
        raise InvalidExpression("The expression is empty.")
    if len(source) > MAX_SOURCE_CHARS:
        raise InvalidExpression(f"The expression is longer than {MAX_SOURCE_CHARS} characters.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        where = _position(exc.lineno or 1, exc.offset or 1)
        raise InvalidExpression(f"Syntax error {where}: {exc.msg}.") from None
    except (ValueError, RecursionError, MemoryError, OverflowError):
        raise InvalidExpression("The expression cannot be parsed.") from None
    _check_size(tree)
    compiler = _Compiler(source)
    root = compiler.compile(tree.body)
    return Expression(source, tuple(compiler.usage_names), compiler.uses_quantity, root)
