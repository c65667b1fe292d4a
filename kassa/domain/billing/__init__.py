"""The billing engine: what a subscription owes at each billing boundary, as invoice lines.

    timeline.py   versions over time, pauses, trials: which item is billable on which days
    boundary.py   one boundary: advance charges for periods that start, arrears for periods
                  that end, and the usage windows to aggregate (``plan_boundary``)
    lines.py      the slots' invoice lines, each charged once by its price (``bill_boundary``)
    totals.py     modifiers (discounts, spend limits, tax) and invoice totals
    invoice.py    the stored invoice, typed and immutable: its lines, status rules and the
                  amount due derived from its other amounts

Work is split in two steps so that usage for many subscriptions can be aggregated in one
set-based query: ``plan_boundary`` lists the usage windows a boundary needs, ``bill_boundary``
turns the aggregated values into lines.
"""
