"""The pure part of automations: definitions, conditions, durations, schedules, retries.

No Jinja2, no I/O, no clock: expressions and templates are compiled and rendered by
kassa.automations.expressions, cron schedules computed by kassa.automations.cron.
"""
