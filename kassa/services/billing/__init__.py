"""Money: billing runs, invoices, payments, credits, wallets, credit notes and refunds."""

from __future__ import annotations

from kassa.services.billing import credits, overdue, run
from kassa.services.scheduler import DueWork

BILLING = DueWork("billing", run.next_due, run.run)
CREDIT_EXPIRY = DueWork("credit_expiry", credits.next_expiry, credits.expire_due)
INVOICE_OVERDUE = DueWork("invoice_overdue", overdue.next_overdue, overdue.mark_overdue)
