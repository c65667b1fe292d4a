"""The execution cursor walks a step tree: branches, loop bodies per item, onError, stop."""

from __future__ import annotations

from dataclasses import dataclass, field

from kassa.automations import cursor


@dataclass(frozen=True)
class Step:
    name: str
    then: tuple = ()
    otherwise: tuple = ()
    steps: tuple = ()
    on_error: tuple = ()


@dataclass(frozen=True)
class Definition:
    steps: tuple = field(default_factory=tuple)


def walk(definition: Definition, choose) -> list[tuple[str, str, str]]:
    """(step name, path, key) in the order run; ``choose(step, at)`` moves the cursor."""
    seen, at = [], cursor.start()
    while (found := cursor.current(definition, at)) is not None:
        step, at = found
        seen.append((step.name, cursor.path(at), cursor.key(at)))
        at = choose(step, at)
    return seen


def test_branches_loops_and_on_error_in_order() -> None:
    definition = Definition((
        Step("a"),
        Step("if", then=(Step("b"),), otherwise=(Step("never"),)),
        Step("loop", steps=(Step("each"),)),
        Step("fails", on_error=(Step("fallback"),)),
        Step("z"),
    ))

    def choose(step, at):
        if step.name == "if":
            return cursor.enter(at, "then")
        if step.name == "loop":
            return cursor.enter(at, "steps", [{"n": 1}, {"n": 2}])
        if step.name == "each":
            assert cursor.item(at)["n"] in (1, 2)
        if step.name == "fails":
            return cursor.enter(at, "onError")
        return cursor.advance(at)

    assert walk(definition, choose) == [
        ("a", "steps[0]", "steps[0]"),
        ("if", "steps[1]", "steps[1]"),
        ("b", "steps[1].then[0]", "steps[1].then[0]"),
        ("loop", "steps[2]", "steps[2]"),
        ("each", "steps[2].steps[0]", "steps[2].steps#0[0]"),
        ("each", "steps[2].steps[0]", "steps[2].steps#1[0]"),
        ("fails", "steps[3]", "steps[3]"),
        ("fallback", "steps[3].onError[0]", "steps[3].onError[0]"),
        ("z", "steps[4]", "steps[4]"),
    ]


def test_stop_ends_everything() -> None:
    definition = Definition((Step("if", then=(Step("stop"), Step("after"))), Step("end")))

    def choose(step, at):
        if step.name == "if":
            return cursor.enter(at, "then")
        return cursor.stop() if step.name == "stop" else cursor.advance(at)

    assert [name for name, _, _ in walk(definition, choose)] == ["if", "stop"]
