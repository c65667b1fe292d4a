"""Documents Kassa hands to customers: PDF invoices and credit notes (``render``)."""
