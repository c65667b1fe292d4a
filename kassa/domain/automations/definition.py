"""An automation definition, parsed once from its JSON or YAML mapping into typed steps.

    Definition(name, description, trigger, conditions, steps, error_handling)
    steps:  ActionStep     {"type": "action", "action": "send_email", <params>, "onError": [...],
                            "errorHandling": {...}}
            ConditionStep  {"type": "condition" | "branch", "if": <condition>, "then": [...],
                            "else": [...]}
            DelayStep      {"type": "delay", "duration": "3d"}
            LoopStep       {"type": "loop", "over": "customer.subscriptions", "steps": [...]}
                           (the steps see each element as ``item``)
            StopStep       {"type": "stop"}
    The workflow actions are the same steps: {"type": "action", "action": "delay", ...}.

``parse_definition`` raises InvalidRequest whose ``field`` is the exact path of the problem
(``steps[0].then[0].template``); ``to_data`` gives the canonical mapping back (camelCase keys
as in the document; durations in their largest whole unit, ``24h`` as ``1d``; conditions in
their structured form), and ``parse_definition(to_data(d)) == d``. Expressions and templates
are checked through the injected callables (kassa.automations.parsing passes the Jinja2 ones):
the domain never imports Jinja2.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeAlias

from kassa.domain.automations.actions import ACTIONS, WORKFLOW_ACTIONS, parse_params, thaw
from kassa.domain.automations.conditions import (
    Condition,
    Expression,
    condition_to_data,
    parse_condition,
    rule_path,
)
from kassa.domain.automations.durations import format_duration, parse_duration
from kassa.domain.automations.retry import (
    ErrorHandling,
    error_handling_to_data,
    parse_error_handling,
)
from kassa.domain.automations.triggers import Trigger, parse_trigger, trigger_to_data
from kassa.domain.errors import InvalidRequest

MAX_STEPS = 200
MAX_DEPTH = 10
MAX_NAME_CHARS = 200
MAX_DESCRIPTION_CHARS = 5000
Check: TypeAlias = Callable[[str, str], None]


@dataclass(frozen=True)
class ActionStep:
    action: str
    params: Mapping[str, Any] = field(default_factory=dict)
    on_error: tuple[Step, ...] = ()
    error_handling: ErrorHandling | None = None


@dataclass(frozen=True)
class ConditionStep:
    condition: Condition
    then: tuple[Step, ...] = ()
    otherwise: tuple[Step, ...] = ()


@dataclass(frozen=True)
class DelayStep:
    duration: timedelta


@dataclass(frozen=True)
class LoopStep:
    over: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class StopStep:
    pass


Step: TypeAlias = ActionStep | ConditionStep | DelayStep | LoopStep | StopStep


@dataclass(frozen=True)
class Definition:
    name: str
    description: str | None
    trigger: Trigger
    conditions: Condition | None
    steps: tuple[Step, ...]
    error_handling: ErrorHandling | None = None


_TOP_LEVEL = ("name", "description", "trigger", "conditions", "steps", "errorHandling")
STEP_TYPES = ("action", "condition", "branch", "delay", "loop", "stop")


def parse_definition(
    data: object,
    *,
    check_expression: Check | None = None,
    check_template: Check | None = None,
    check_cron: Check | None = None,
) -> Definition:
    """The definition in ``data``; InvalidRequest names the field path of the first problem.

    ``check_expression(text, field)`` is called for every condition expression,
    ``check_template(text, field)`` for every parameter text holding ``{{`` or ``{%``, and
    ``check_cron(expression, field)`` for a cron schedule; each raises InvalidRequest.
    """
    if not isinstance(data, Mapping):
        raise InvalidRequest("an automation definition is an object with name, trigger and steps")
    for key in data:
        if key not in _TOP_LEVEL:
            raise InvalidRequest(f"unknown field {key!r}", field=str(key))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
        raise InvalidRequest(f"name is a non-empty text of at most {MAX_NAME_CHARS} characters",
                             field="name")
    description = data.get("description")
    if description is not None and (
        not isinstance(description, str) or len(description) > MAX_DESCRIPTION_CHARS
    ):
        raise InvalidRequest(f"description is a text of at most {MAX_DESCRIPTION_CHARS} "
                             "characters", field="description")
    if "trigger" not in data:
        raise InvalidRequest("a trigger is needed", field="trigger")
    trigger = parse_trigger(data["trigger"], "trigger", check_cron)
    conditions = None
    if data.get("conditions") is not None:
        conditions = parse_condition(data["conditions"], "conditions", check_expression)
    handling = None
    if data.get("errorHandling") is not None:
        handling = parse_error_handling(data["errorHandling"], "errorHandling")
    parser = _StepParser(check_expression, check_template)
    steps = parser.steps(data.get("steps"), "steps", depth=1)
    if not steps:
        raise InvalidRequest("at least one step is needed", field="steps")
    return Definition(name, description, trigger, conditions, steps, handling)


class _StepParser:
    def __init__(self, check_expression: Check | None, check_template: Check | None) -> None:
        self.check_expression, self.check_template = check_expression, check_template
        self.count = 0

    def steps(self, data: object, field: str, *, depth: int) -> tuple[Step, ...]:
        if data is None:
            return ()
        if not isinstance(data, list):
            raise InvalidRequest("a list of steps is needed", field=field)
        if depth > MAX_DEPTH:
            raise InvalidRequest(f"steps can nest at most {MAX_DEPTH} deep", field=field)
        return tuple(self.step(item, f"{field}[{i}]", depth) for i, item in enumerate(data))

    def step(self, data: object, field: str, depth: int) -> Step:
        self.count += 1
        if self.count > MAX_STEPS:
            raise InvalidRequest(f"an automation has at most {MAX_STEPS} steps", field=field)
        if not isinstance(data, Mapping):
            raise InvalidRequest("a step is an object with a type", field=field)
        kind = data.get("type")
        if kind not in STEP_TYPES:
            raise InvalidRequest(f"unknown step type {kind!r}: use {', '.join(STEP_TYPES)}",
                                 field=f"{field}.type")
        rest = {key: value for key, value in data.items() if key != "type"}
        if kind == "action":
            action = rest.pop("action", None)
            if action in WORKFLOW_ACTIONS:
                kind = "condition" if action == "branch" else action
            elif action in ACTIONS:
                return self.action(action, rest, field, depth)
            else:
                raise InvalidRequest(
                    f"unknown action {action!r}: use {', '.join([*ACTIONS, *WORKFLOW_ACTIONS])}",
                    field=f"{field}.action",
                )
        return getattr(self, f"_{'condition' if kind == 'branch' else kind}")(rest, field, depth)

    def action(self, action: str, rest: dict, field: str, depth: int) -> ActionStep:
        on_error = self.steps(rest.pop("onError", None), f"{field}.onError", depth=depth + 1)
        handling = rest.pop("errorHandling", None)
        if handling is not None:
            handling = parse_error_handling(handling, f"{field}.errorHandling")
        params = parse_params(action, rest, field, self.check_template)
        return ActionStep(action, params, on_error, handling)

    def _condition(self, rest: dict, field: str, depth: int) -> ConditionStep:
        _only(rest, ("if", "then", "else"), field)
        if rest.get("if") is None:
            raise InvalidRequest("a condition step needs if", field=f"{field}.if")
        condition = parse_condition(rest["if"], f"{field}.if", self.check_expression)
        then = self.steps(rest.get("then"), f"{field}.then", depth=depth + 1)
        otherwise = self.steps(rest.get("else"), f"{field}.else", depth=depth + 1)
        if not then and not otherwise:
            raise InvalidRequest("a condition step needs steps in then or else",
                                 field=f"{field}.then")
        return ConditionStep(condition, then, otherwise)

    def _delay(self, rest: dict, field: str, depth: int) -> DelayStep:
        _only(rest, ("duration",), field)
        return DelayStep(parse_duration(rest.get("duration"), f"{field}.duration"))

    def _loop(self, rest: dict, field: str, depth: int) -> LoopStep:
        _only(rest, ("over", "steps"), field)
        over = rule_path(rest.get("over"), f"{field}.over")
        steps = self.steps(rest.get("steps"), f"{field}.steps", depth=depth + 1)
        if not steps:
            raise InvalidRequest("a loop needs steps", field=f"{field}.steps")
        return LoopStep(over, steps)

    def _stop(self, rest: dict, field: str, depth: int) -> StopStep:
        _only(rest, (), field)
        return StopStep()


def _only(data: Mapping, allowed: tuple[str, ...], field: str) -> None:
    for key in data:
        if key not in allowed:
            raise InvalidRequest(f"unknown step field {key!r}", field=f"{field}.{key}")


def to_data(definition: Definition) -> dict[str, Any]:
    """The canonical mapping of ``definition`` (what the API answers)."""
    return {
        "name": definition.name,
        "description": definition.description,
        "trigger": trigger_to_data(definition.trigger),
        "conditions": None if definition.conditions is None
        else condition_to_data(definition.conditions),
        "steps": steps_to_data(definition.steps),
        "errorHandling": None if definition.error_handling is None
        else error_handling_to_data(definition.error_handling),
    }


def steps_to_data(steps: tuple[Step, ...]) -> list[dict[str, Any]]:
    return [step_to_data(step) for step in steps]


def step_to_data(step: Step) -> dict[str, Any]:
    if isinstance(step, ActionStep):
        data: dict[str, Any] = {"type": "action", "action": step.action, **thaw(step.params)}
        if step.on_error:
            data["onError"] = steps_to_data(step.on_error)
        if step.error_handling is not None:
            data["errorHandling"] = error_handling_to_data(step.error_handling)
        return data
    if isinstance(step, ConditionStep):
        condition = step.condition
        data = {"type": "condition", "if": condition.text if isinstance(condition, Expression)
                else condition_to_data(condition)}
        if step.then:
            data["then"] = steps_to_data(step.then)
        if step.otherwise:
            data["else"] = steps_to_data(step.otherwise)
        return data
    if isinstance(step, DelayStep):
        return {"type": "delay", "duration": format_duration(step.duration)}
    if isinstance(step, LoopStep):
        return {"type": "loop", "over": step.over, "steps": steps_to_data(step.steps)}
    return {"type": "stop"}
