"""Money: billing runs, invoices, payments, credits, wallets, credit notes and refunds."""

from __future__ import annotations

from kassa.due_work import DueWork
from kassa.services.billing import credit_expiry, overdue, run

BILLING = DueWork("billing", run.next_due, run.run)
CREDIT_EXPIRY = DueWork("credit_expiry", credit_expiry.next_expiry, credit_expiry.expire_due)
INVOICE_OVERDUE = DueWork("invoice_overdue", overdue.next_overdue, overdue.mark_overdue)
