"""Every page, as an admin sees it (the most controls): each input has a label, each button and
link a visible name, and the sidebar marks where you are."""

from __future__ import annotations

import pytest

from tests.web.test_sign_in import PAGES

UNNAMED = """() => {
  const fields = [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
    .filter(f => f.labels.length === 0 || [...f.labels].every(l => !l.textContent.trim()))
    .map(f => f.outerHTML);
  const actions = [...document.querySelectorAll("button, a[href]")]
    .filter(a => !a.textContent.trim())
    .map(a => a.outerHTML);
  return fields.concat(actions);
}"""


@pytest.mark.parametrize("environment", ["Sandbox", "Production"])
def test_every_control_is_named(admin, environment: str) -> None:
    admin.get_by_role("button", name=environment).click()
    admin.wait_for_url("**/dashboard/")
    for path in PAGES:
        admin.goto(path)
        assert admin.evaluate(UNNAMED) == [], path
        assert admin.locator("h1").count() == 1, path
        current = admin.get_by_role("navigation", name="Main").locator("[aria-current=page]")
        if path != "/dashboard/clock":  # the clock belongs to the sandbox bar, not the sidebar
            assert current.count() == 1, path
