"""PDF documents from Jinja2 HTML templates, by WeasyPrint.

WeasyPrint lays out HTML and CSS (paged media: ``@page`` margins, "Page x of y" counters) with
the system's Pango and writes the PDF itself, in-process and without a browser; its fonts are the
system's (fontconfig). Nothing here reads the database or the clock: ``invoice_pdf`` and
``credit_note_pdf`` take what they print, as the API shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from kassa.domain.currencies import minor_units
from kassa.domain.errors import Unavailable

TEMPLATES = Path(__file__).with_name("templates")


def amount(value: str | Decimal | None, currency: str) -> str:
    """``1234.5`` in USD as ``1,234.50 USD``; in JPY ``1,235 JPY``: the currency's minor units."""
    if value is None:
        return ""
    places = minor_units(currency)
    return f"{Decimal(value):,.{places}f} {currency}"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(
        ["html"]), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["amount"] = amount
    return env


_ENV = _environment()


def html(template: str, context: Mapping[str, Any]) -> str:
    return _ENV.get_template(template).render(**context)


def pdf(template: str, context: Mapping[str, Any]) -> bytes:
    """The template rendered to a PDF."""
    try:
        from weasyprint import HTML  # imported on first use: it loads Pango
    except OSError:  # the library is installed, the system's Pango is not
        raise Unavailable(
            "PDFs need the system's Pango library, which is not installed here (Debian: "
            "apt-get install libpango-1.0-0 libpangoft2-1.0-0).") from None
    return HTML(string=html(template, context)).write_pdf()


def invoice_pdf(invoice: Mapping[str, Any], customer: Mapping[str, Any],
                company: Mapping[str, Any]) -> bytes:
    """An invoice (``kassa.resources.invoices.Invoice`` as a dict), its customer and the seller
    (Settings → Company); a draft is marked as one."""
    return pdf("invoice.html", {"invoice": invoice, "customer": customer, "company": company,
                                "draft": invoice["status"] == "draft"})


def credit_note_pdf(note: Mapping[str, Any], invoice: Mapping[str, Any],
                    customer: Mapping[str, Any], company: Mapping[str, Any]) -> bytes:
    return pdf("credit_note.html", {"note": note, "invoice": invoice, "customer": customer,
                                    "company": company, "draft": note["status"] == "draft"})
