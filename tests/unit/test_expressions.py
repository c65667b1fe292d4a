from __future__ import annotations

import ast
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.errors import InvalidExpression
from kassa.domain.expressions import MAX_SOURCE_CHARS, compile_expression

from .helpers import PROPERTY, D

VARIABLES = {"quantity": D(4), "usage": {"api_calls": D(1500), "gb.stored": D("2.5")}}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", "7"),
        ("0.1 + 0.2", "0.3"),  # Decimal from the source text, not binary floating point
        ("(1 + 2) * 3", "9"),
        ("10 / 4", "2.5"),
        ("7 // 2", "3"),
        ("-7 // 2", "-4"),  # floors like Python
        ("-7 % 2", "1"),
        ("7.5 % 2", "1.5"),
        ("2 ** 10", "1024"),
        ("2 ** -2", "0.25"),
        ("-quantity", "-4"),
        ("1e3 + 1_000", "2000"),
        ("quantity * 2.50", "10.00"),
        ("usage.api_calls * 0.002", "3.000"),
        ('usage["gb.stored"] * 4', "10.0"),
        ("usage.never_sent + 1", "1"),
        ("max(usage.api_calls - 1000, 0)", "500"),
        ("min(3, quantity, 10)", "3"),
        ("ceil(2.1) + floor(-2.1)", "0"),
        ("abs(-3.5)", "3.5"),
        ("round(2.5)", "3"),  # half up, as money is rounded
        ("round(1.2345, 2)", "1.23"),
        ("round(1234, -2)", "1.2E+3"),
        ("1 < 2 <= 2 != 3", "1"),
        ("quantity > 10", "0"),
        ("quantity == 4", "1"),
        ("0 or 7", "7"),
        ("3 and 0", "0"),
        ("not quantity", "0"),
        ("20 if quantity >= 4 else 25", "20"),
        ("1 / 3", "0." + "3" * 60),
    ],
)
def test_evaluates_exactly(source, expected):
    assert compile_expression(source).evaluate(VARIABLES) == Decimal(expected)


def test_tiny_literals_are_fine():
    assert compile_expression("1e-1000 * 0 + 2").evaluate() == 2


def test_results_are_decimals():
    result = compile_expression("0.1 * 3").evaluate({})
    assert isinstance(result, Decimal) and str(result) == "0.3"


def test_lists_referenced_usage_names_in_order():
    expression = compile_expression('usage.b + usage["a.x"] * quantity + usage.b')
    assert expression.variables == ("b", "a.x")
    assert expression.uses_quantity
    assert not compile_expression("usage.b").uses_quantity


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('__import__("os")', "Unknown function '__import__'"),
        ('__import__("os").system("ls")', "Unknown function"),
        ("open(1)", "Unknown function 'open'"),
        ("quantity.__class__", r"Attribute access \(.__class__\) is only allowed as usage.<name>"),
        ("usage.a.b", r"Attribute access \(.b\) is only allowed"),
        ("usage", "not usage alone"),
        ("usage[0]", 'only allowed as usage\\["name"\\]'),
        ("price * 2", "Unknown name 'price'"),
        ("lambda: 1", "Not allowed: lambda"),
        ("[1, 2]", "Not allowed: lists"),
        ("(1, 2)", "Not allowed: tuples"),
        ("{1: 2}", "Not allowed: dicts"),
        ('f"{quantity}"', "Not allowed: f-strings"),
        ("[x for x in usage]", "Not allowed: comprehensions"),
        ("1 @ 2", "The operator '@' is not allowed"),
        ("1 << 2", "The operator '<<' is not allowed"),
        ("~1", "The operator '~' is not allowed"),
        ("1 in 2", "The operator 'in' is not allowed"),
        ("1 is 1", "The operator 'is' is not allowed"),
        ('"text"', "Text is only allowed as a usage name"),
        ("True", "True is not allowed"),
        ("None", "None is not allowed"),
        ("2j", "The literal 2j is not allowed"),
        ("min(1)", r"min\(\) takes 2 or more arguments, not 1"),
        ("abs(1, 2)", r"abs\(\) takes 1 arguments, not 2"),
        ("round(1, digits=2)", r"round\(\) takes no keyword arguments"),
        ("max(*usage)", r"max\(\) takes no '\*' arguments"),
        ("min", "min must be called"),
        ("2 ** 65", "Exponents must be whole numbers between -64 and 64"),
        ("2 ** 0.5", "Exponents must be whole numbers"),
        ("1e1000", "Numbers must be below 1e1000"),
        ("1 +", "Syntax error at column"),
        ("x = 1", "Syntax error"),
        ("", "empty"),
        ("   ", "empty"),
        ("min(" + "1," * 450 + "1)", r"too large \(more than 400 parts\)"),
        ("1+" * 250 + "1", "nested too deeply"),
        ("-" * 60 + "1", "nested too deeply"),
        ("1" * (MAX_SOURCE_CHARS + 1), "longer than 1000 characters"),
        ("(1 +\n foo)", "Unknown name 'foo'.* at line 2, column 2"),
        ("(1 +\n )", "Syntax error at line 2"),
    ],
)
def test_refuses_at_compile_time_with_a_clear_message(source, message):
    with pytest.raises(InvalidExpression, match=message):
        compile_expression(source)


def test_refuses_non_text():
    with pytest.raises(InvalidExpression):
        compile_expression(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source", "variables", "message"),
    [
        ("1 / usage.calls", {}, "Division by zero"),
        ("quantity // 0", {"quantity": D(1)}, "Division by zero"),
        ("quantity % 0", {"quantity": D(1)}, "Division by zero"),
        ("0 ** -1", {}, "Division by zero"),
        ("2 ** quantity", {"quantity": D(100)}, "Exponents must be whole numbers"),
        ("2 ** quantity", {"quantity": D("0.5")}, "Exponents must be whole numbers"),
        ("((10 ** 64) ** 64) ** 64", {}, "too large"),
        ("round(quantity, 100)", {"quantity": D(1)}, "round"),
        ("quantity * 2", {}, "no quantity was given"),
        ("quantity * 2", {"quantity": 1.5}, "quantity must be a Decimal"),
        ("usage.x * 2", {"usage": {"x": "3"}}, "must be a Decimal"),
        ("usage.x * 2", {"usage": {"x": D("NaN")}}, "finite"),
        ("usage.x", {"usage": {"x": D("1e5000")}}, "too large"),
        ("usage.x", {"usage": [1]}, "usage must be a mapping"),
        ("1", [1], "must be a mapping"),
    ],
)
def test_evaluation_raises_only_invalid_expression(source, variables, message):
    with pytest.raises(InvalidExpression, match=message):
        compile_expression(source).evaluate(variables)


def test_integer_variables_are_accepted():
    assert (
        compile_expression("quantity * usage.x").evaluate({"quantity": 3, "usage": {"x": 2}}) == 6
    )


# --- properties ----------------------------------------------------------------------------------

ALPHABET = "0123456789.+-*/%()<>=!,\"'[]_ \nabcdefgijklmnopqrstuvwxyz" + "ñ€\x00"
TOKENS = [
    "quantity",
    "usage",
    "usage.calls",
    'usage["a.b"]',
    "min",
    "max",
    "ceil",
    "floor",
    "round",
    "abs",
    "if",
    "else",
    "and",
    "or",
    "not",
    "lambda",
    "import",
    "__class__",
    ".",
    ",",
    "(",
    ")",
    "[",
    "]",
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "**",
    "<",
    "<=",
    "==",
    "!=",
    "0",
    "1",
    "2.5",
    "1e308",
    "1e999",
    "-0",
    "64",
    "65",
    "0.1",
    "10**64",
    "x",
    "'s'",
    "True",
    "None",
    ":",
    "@",
    "~",
]


def _check_only_invalid_expression(source: str, variables: dict) -> None:
    try:
        expression = compile_expression(source)
    except InvalidExpression:
        return
    try:
        result = expression.evaluate(variables)
    except InvalidExpression:
        return
    assert isinstance(result, Decimal) and result.is_finite()


variables = st.fixed_dictionaries(
    {
        "quantity": st.decimals(
            allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9
        ),
        "usage": st.dictionaries(
            st.sampled_from(["calls", "a.b"]), st.decimals(allow_nan=False, allow_infinity=False)
        ),
    }
)


@PROPERTY
@given(st.text(alphabet=ALPHABET, max_size=80), variables)
def test_random_text_raises_only_invalid_expression(source, env):
    _check_only_invalid_expression(source, env)


@PROPERTY
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join), variables)
def test_random_token_soup_raises_only_invalid_expression(source, env):
    _check_only_invalid_expression(source, env)


def _leaves():
    return st.one_of(
        st.integers(min_value=-(10**30), max_value=10**30).map(lambda n: ast.Constant(n)),
        st.decimals(
            allow_nan=False, allow_infinity=False, places=6, min_value=-(10**12), max_value=10**12
        ).map(
            lambda d: ast.Constant(complex(0, 1)) if d == 7 else ast.parse(str(d), mode="eval").body
        ),
        st.sampled_from(["quantity", "usage", "min", "x"]).map(lambda n: ast.Name(n, ast.Load())),
        st.sampled_from(["calls", "a", "__class__"]).map(
            lambda a: ast.Attribute(ast.Name("usage", ast.Load()), a, ast.Load())
        ),
        st.sampled_from(["a.b", "calls"]).map(
            lambda k: ast.Subscript(ast.Name("usage", ast.Load()), ast.Constant(k), ast.Load())
        ),
        st.sampled_from([True, None, "text", 2.5]).map(lambda v: ast.Constant(v)),
    )


BINARY = [
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.BitAnd,
    ast.LShift,
]
UNARY = [ast.USub, ast.UAdd, ast.Not, ast.Invert]
COMPARE = [ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq, ast.In, ast.Is]


def _extend(children):
    return st.one_of(
        st.builds(
            lambda left, op, right: ast.BinOp(left, op(), right),
            children,
            st.sampled_from(BINARY),
            children,
        ),
        st.builds(lambda op, x: ast.UnaryOp(op(), x), st.sampled_from(UNARY), children),
        st.builds(
            lambda left, op, right: ast.Compare(left, [op()], [right]),
            children,
            st.sampled_from(COMPARE),
            children,
        ),
        st.builds(
            lambda op, xs: ast.BoolOp(op(), xs),
            st.sampled_from([ast.And, ast.Or]),
            st.lists(children, min_size=2, max_size=3),
        ),
        st.builds(ast.IfExp, children, children, children),
        st.builds(
            lambda f, xs: ast.Call(ast.Name(f, ast.Load()), xs, []),
            st.sampled_from(["min", "max", "ceil", "floor", "round", "abs", "pow", "eval"]),
            st.lists(children, max_size=3),
        ),
        st.builds(lambda xs: ast.List(xs, ast.Load()), st.lists(children, max_size=2)),
    )


random_trees = st.recursive(_leaves(), _extend, max_leaves=30)


@PROPERTY
@given(random_trees, variables)
def test_random_syntax_trees_raise_only_invalid_expression(tree, env):
    source = ast.unparse(ast.fix_missing_locations(ast.Expression(tree)))
    _check_only_invalid_expression(source, env)


def _allowed_leaves():
    return st.one_of(
        st.integers(min_value=-(10**6), max_value=10**6).map(lambda n: ast.Constant(n)),
        st.decimals(
            allow_nan=False, allow_infinity=False, places=4, min_value=0, max_value=10**6
        ).map(lambda d: ast.parse(str(d), mode="eval").body),
        st.just(ast.Name("quantity", ast.Load())),
        st.just(ast.Attribute(ast.Name("usage", ast.Load()), "calls", ast.Load())),
        st.just(ast.Subscript(ast.Name("usage", ast.Load()), ast.Constant("a.b"), ast.Load())),
    )


def _allowed_extend(children):
    arity = {
        "min": (2, 3),
        "max": (2, 3),
        "ceil": (1, 1),
        "floor": (1, 1),
        "abs": (1, 1),
        "round": (1, 2),
    }
    return st.one_of(
        st.builds(
            lambda left, op, right: ast.BinOp(left, op(), right),
            children,
            st.sampled_from(BINARY[:7]),
            children,
        ),
        st.builds(lambda op, x: ast.UnaryOp(op(), x), st.sampled_from(UNARY[:3]), children),
        st.builds(
            lambda left, op, right: ast.Compare(left, [op()], [right]),
            children,
            st.sampled_from(COMPARE[:6]),
            children,
        ),
        st.builds(
            lambda op, xs: ast.BoolOp(op(), xs),
            st.sampled_from([ast.And, ast.Or]),
            st.lists(children, min_size=2, max_size=3),
        ),
        st.builds(ast.IfExp, children, children, children),
        st.sampled_from(sorted(arity)).flatmap(
            lambda f: st.lists(
                children,
                min_size=arity[f][0],
                max_size=arity[f][1],
            ).map(lambda xs: ast.Call(ast.Name(f, ast.Load()), xs, []))
        ),
    )


LIMIT_MESSAGES = (
    "Exponents must be whole numbers",
    "too large",
    "nested too deeply",
    "longer than",
)


@PROPERTY
@given(st.recursive(_allowed_leaves(), _allowed_extend, max_leaves=25), variables)
def test_every_allowed_construct_compiles_and_evaluates_or_hits_a_limit(tree, env):
    source = ast.unparse(ast.fix_missing_locations(ast.Expression(tree)))
    try:
        expression = compile_expression(source)
    except InvalidExpression as exc:
        assert any(m in exc.detail for m in LIMIT_MESSAGES), (source, exc.detail)
        return
    try:
        result = expression.evaluate(env)
    except InvalidExpression:
        return
    assert isinstance(result, Decimal) and result.is_finite()


def test_floor_division_and_modulo_stay_exact_past_the_working_precision():
    # 61 nines / 1000 rounds to 10**58 at 60 digits; the floor must still be 10**58 - 1.
    big = "9" * 61
    assert compile_expression(f"{big} // 1000").evaluate() == 10**58 - 1
    assert compile_expression(f"{big} % 1000").evaluate() == 999
    assert compile_expression(f"-{big} // 1000").evaluate() == -(10**58)
