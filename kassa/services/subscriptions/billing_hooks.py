"""What the subscription lifecycle needs from billing: one hook per moment that meets money.

Subscriptions never import billing. They call these hooks, inside the lifecycle's own
transaction, on the ``BillingHooks`` the context carries: ``kassa.bootstrap`` registers billing's
implementation (``kassa.services.billing.lifecycle_billing``), and the unit of work a context
opens hands it on. A unit of work without them raises ``BillingHooksMissing``: a lifecycle
change that skipped billing would leave periods unbilled without a word.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from kassa.domain.subscription import Subscription, Version
    from kassa.store.uow import UnitOfWork


class BillingHooks(Protocol):
    """Billing at the lifecycle moments; each runs in the caller's transaction. A hook that
    writes the subscription (its billing instants) returns it as it now is."""

    def on_activated(self, uow: UnitOfWork, sub: Subscription) -> Subscription:
        """Billing begins at the contract start (billed at once when that has come)."""

    def on_version_takes_over(self, uow: UnitOfWork, sub: Subscription,
                              old_items: Sequence[Mapping], new_items: Sequence[Mapping],
                              at: datetime, version: Version, *, immediate: bool) -> None:
        """A version takes over at ``at``: bill the proration and the one-off items it adds."""

    def on_end(self, uow: UnitOfWork, sub: Subscription) -> Subscription:
        """The subscription ended at ``canceled_at``: bill its final boundary."""

    def on_pause(self, uow: UnitOfWork, sub: Subscription, items: Sequence[Mapping],
                 at: datetime) -> None:
        """Credit the paused days of the current period's advance-billed fees."""

    def on_resume(self, uow: UnitOfWork, sub: Subscription, items: Sequence[Mapping],
                  at: datetime) -> None:
        """Charge the rest of the current period's advance-billed fees again."""


class BillingHooksMissing(RuntimeError):
    """No billing hooks were registered for this unit of work (build contexts with
    ``kassa.bootstrap``)."""


def billing(uow: UnitOfWork) -> BillingHooks:
    """The billing hooks of ``uow``'s context; raises when none were registered."""
    if uow.hooks is None:
        raise BillingHooksMissing(BillingHooksMissing.__doc__)
    return cast(BillingHooks, uow.hooks)
