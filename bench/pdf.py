"""PDF benchmark: invoices of 20 lines rendered to PDF per second.

Through the service a download uses (``kassa.services.billing.documents.invoice_pdf``): N issued
one-time invoices of 20 lines each (created through the API in a scratch SQLite database,
sandbox, the company settings filled in), each rendered from the template by WeasyPrint and
stored; the baseline of the same run is the same invoices rendered to HTML only (the Jinja2
template and the reads, no layout), so the ratio is what PDF layout costs. Checked afterwards:
N documents stored, one per invoice, and the text of a sample (number, customer, a line, the
total, "Page 1 of 1") read back with pypdf.

    python bench/pdf.py                       # 1,000 invoices
    python bench/pdf.py --invoices 100
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench._support import DEFAULT_PG_URL, RssSampler, machine_load, scratch_database  # noqa: E402
from kassa.api.app import create_app  # noqa: E402
from kassa.bootstrap import build  # noqa: E402
from kassa.config import Settings  # noqa: E402
from kassa.documents import render  # noqa: E402
from kassa.services import keys
from kassa.services.billing import documents  # noqa: E402
from kassa.services.billing import invoices as inv  # noqa: E402
from kassa.store.engine import make_engine  # noqa: E402
from kassa.store.migrate import upgrade  # noqa: E402
from kassa.store.tables import documents as documents_table  # noqa: E402

ENV = "sandbox"
LINES = 20


def _ok(response, status: int = 200) -> dict:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    return response.json()


def bench(n: int) -> dict:
    with scratch_database("sqlite", DEFAULT_PG_URL) as url:
        engine = make_engine(url)
        upgrade(engine)
        kassa = build(Settings(database_url=url, embedded_worker=False,
                               render_pdfs_on_issue=False), engine=engine)
        key = keys.create_key(engine, ENV, "bench")[1]
        with TestClient(create_app(kassa), headers={"Authorization": f"Bearer {key}"}) as api:
            _ok(api.patch("/settings/company", json={
                "name": "Bench GmbH", "address": "Hauptstrasse 1\n10115 Berlin",
                "tax_id": "DE123456789", "footer": "Bench GmbH, registered in Berlin"}))
            customer = _ok(api.post("/customers", json={"name": "Acme Corp",
                                                        "email": "billing@acme.test"}), 201)
            ids = []
            for k in range(n):
                ids.append(_ok(api.post("/invoices", json={
                    "customer_id": customer["id"], "lines": [
                        {"description": f"Seat block {line} of invoice {k}", "quantity": "3",
                         "unit_amount": "12.50"} for line in range(LINES)]}), 201)["id"])
        ctx = kassa.ctx(ENV)
        with RssSampler(os.getpid()) as rss:
            started = time.perf_counter()
            for invoice_id in ids:
                with ctx.uow(read_only=True) as uow:
                    view = inv.invoice_view(inv.load(uow, invoice_id))
                    render.html("invoice.html", {
                        "invoice": view, "customer": documents._customer(uow, customer["id"]),
                        "company": documents._company(uow), "draft": False})
            html_rate = n / (time.perf_counter() - started)
            started = time.perf_counter()
            for invoice_id in ids:
                documents.invoice_pdf(ctx, invoice_id)
            pdf_rate = n / (time.perf_counter() - started)
        with engine.connect() as conn:
            kept = conn.execute(select(func.count()).select_from(documents_table)).scalar_one()
        sample = documents.invoice_pdf(ctx, ids[-1])
        reader = PdfReader(io.BytesIO(sample))
        text = "\n".join(page.extract_text() for page in reader.pages)
        number = _number(kassa, ids[-1])
        for expected in (f"Invoice {number}", "Acme Corp", f"Seat block 19 of invoice {n - 1}",
                         "750.00 USD", f"Page {len(reader.pages)} of {len(reader.pages)}"):
            if expected not in text:
                raise AssertionError(f"the sample PDF lacks {expected!r}")
        if kept != n:
            raise AssertionError(f"{kept} documents stored for {n} invoices")
        kassa.close()
        engine.dispose()
    return {"n": n, "html": html_rate, "pdf": pdf_rate, "rss": rss.peak_mb,
            "bytes": len(sample), "pages": len(reader.pages)}


def _number(kassa, invoice_id: str) -> str:
    with kassa.ctx(ENV).uow(read_only=True) as uow:
        return str(inv.load(uow, invoice_id).number)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1000)
    args = parser.parse_args()
    print(f"PDF benchmark; {machine_load()}", flush=True)
    r = bench(args.invoices)
    print(f"{r['n']:,} invoices of {LINES} lines: HTML only {r['html']:,.1f}/s (baseline), "
          f"PDF {r['pdf']:,.1f}/s ({r['pdf'] / r['html']:.3f} of it), "
          f"{r['bytes']:,} bytes and {r['pages']} page(s) each; peak RSS {r['rss']:.0f} MB\n"
          f"{r['n']:,} documents stored, the sample's number, customer, lines, total and page "
          f"count read back", flush=True)


if __name__ == "__main__":
    main()
