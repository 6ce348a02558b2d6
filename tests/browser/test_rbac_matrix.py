"""The tool access matrix in a real browser: an admin's edit, saved in place
with htmx, governs the next tool call an operator's agent makes."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import APIResponse, Page, expect

from tests.browser.helpers import (
    ADMIN,
    OPERATOR,
    TIMEOUT_MS,
    ContextFactory,
    Problems,
    logged_in,
    start_inventory_run,
    tool_item,
    wait_until_finished,
)

ROLE, TOOL = "operator", "check_stock_levels"


def _cell(admin: Page):
    """ROLE x TOOL's <td>, found by row and column so it survives htmx swaps."""
    roles = admin.locator("table.rbac-matrix thead th").all_text_contents()[1:]
    row = admin.locator("table.rbac-matrix tbody tr").filter(
        has=admin.locator("th code", has_text=TOOL)
    )
    return row.locator("td.rbac-cell").nth(roles.index(ROLE))


def _invoke(page: Page, base_url: str) -> APIResponse:
    """Call TOOL through the tools API with the page's session, as a script would."""
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return page.request.post(
        f"{base_url}/api/tools/{TOOL}/invoke",
        data={"arguments": {"product_ids": ["SKU-1001"], "location": "SEL-WH"}},
        headers={"X-CSRFToken": csrf, "Referer": f"{base_url}/"},
    )


def _set_cell(admin: Page, base_url: str, decision: str) -> str:
    """Set ROLE's grant for TOOL from the matrix; return the decision it had before."""
    admin.goto(f"{base_url}/rbac/matrix/?q={TOOL}")
    cell = _cell(admin)
    cell.get_by_label(f"Edit {ROLE} access to {TOOL}").click()
    select = cell.get_by_label("Decision")
    expect(select).to_be_focused()  # the form opens in place, ready for the keyboard
    before = select.input_value()
    select.select_option(decision)
    cell.get_by_role("button", name="Save").click()
    expect(cell.get_by_role("status")).to_have_text("Saved")
    expect(admin).to_have_url(f"{base_url}/rbac/matrix/?q={TOOL}")  # no navigation
    return before


def test_an_admin_edits_a_permission_in_the_matrix_and_it_takes_effect(
    new_context: ContextFactory, live_owm: str, screenshot_dir: Path
) -> None:
    admin = logged_in(new_context().new_page(), live_owm, *ADMIN)
    operator = logged_in(new_context().new_page(), live_owm, *OPERATOR)
    problems = [Problems(admin), Problems(operator)]

    before = _set_cell(admin, live_owm, "deny")
    try:
        expect(admin.get_by_label(f"Edit {ROLE} access to {TOOL}")).to_have_text("deny")
        admin.screenshot(path=screenshot_dir / "rbac-matrix-saved.png", full_page=True)

        # The agent no longer offers the tool to its model, so the run cannot call it...
        start_inventory_run(operator, live_owm)
        wait_until_finished(operator)
        expect(tool_item(operator, TOOL)).to_have_count(0)
        expect(operator.locator("#final-answer")).not_to_contain_text(TOOL)
        # ...and a direct call from the same session is refused, naming the tool.
        refused = _invoke(operator, live_owm)
        assert refused.status == 403, refused.text()
        body = refused.json()
        assert body["status"] == "denied", body
        assert body["result"]["error"]["message"] == f"denied: role {ROLE} may not use {TOOL}"
    finally:
        # The session's server is shared by every browser test: put the grant back.
        _set_cell(admin, live_owm, before)

    start_inventory_run(operator, live_owm)
    expect(tool_item(operator, TOOL).locator(".tool-status")).to_have_text(
        "succeeded", timeout=TIMEOUT_MS
    )
    assert _invoke(operator, live_owm).status == 200
    assert [p.all() for p in problems] == [[], []]
