"""Definitions parsed with every check: Jinja2 expressions and templates, cron expressions.

The API and the engine call ``parse`` (the pure ``parse_definition`` with the checks injected),
so a bad expression, template or cron is a 422 naming its field when the automation is created.
"""

from __future__ import annotations

from kassa.automations import cron, expressions
from kassa.domain.automations.definition import Definition, parse_definition


def parse(data: object) -> Definition:
    """``data`` (a JSON or YAML mapping) as a checked Definition."""
    return parse_definition(
        data,
        check_expression=expressions.check,
        check_template=expressions.check_template,
        check_cron=cron.check,
    )
