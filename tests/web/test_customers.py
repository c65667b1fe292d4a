"""Customers: search by name, email or id, and pages of 25 counted and cut in SQL."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from kassa.services import customers
from tests.web.conftest import nav

pytestmark = pytest.mark.both_backends  # its pages run SQL of their own


def test_search_and_pages(server, admin) -> None:
    tag = uuid.uuid4().hex[:8]
    ctx = server.kassa.ctx("sandbox")
    made = [customers.create_customer(ctx, {"name": f"{tag} Customer {n:02d}",
                                            "email": f"billing{n:02d}@{tag}.example"})
            for n in range(30)]
    nav(admin, "Customers").click()
    search = admin.get_by_label("Search customers")
    search.fill(tag.upper())  # any case
    search.press("Enter")
    admin.wait_for_url(f"**/dashboard/customers?q={tag.upper()}")
    body = admin.get_by_role("table").locator("tbody tr")
    expect(body).to_have_count(25)
    assert body.first.get_by_role("cell").first.inner_text().startswith(f"{tag} Customer 00")
    expect(admin.get_by_text("1–25 of 30 customers")).to_be_visible()
    expect(admin.get_by_role("link", name="Previous")).to_have_count(0)
    admin.get_by_role("link", name="Next").click()
    admin.wait_for_url("**page=2**")
    expect(body).to_have_count(5)
    expect(admin.get_by_text("26–30 of 30 customers")).to_be_visible()
    assert body.last.get_by_role("cell").first.inner_text().startswith(f"{tag} Customer 29")
    expect(admin.get_by_role("link", name="Next")).to_have_count(0)
    # By email, and by id.
    admin.goto(f"/dashboard/customers?q=billing07@{tag}")
    assert body.count() == 1 and made[7]["id"] in body.inner_text()
    admin.goto(f"/dashboard/customers?q={made[12]['id']}")
    assert body.count() == 1 and f"{tag} Customer 12" in body.inner_text()
    # A search that finds nothing says so; % and _ are plain characters.
    admin.goto(f"/dashboard/customers?q={tag}%25_")
    assert body.count() == 1 and body.inner_text() == f"No customer matches “{tag}%_”."
