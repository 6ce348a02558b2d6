"""The audit log in a real browser, as the auditor sees it: filters narrow the
table, the hash chain verifies intact, and the CSV export downloads."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Locator, Page, expect

from tests.browser.helpers import (
    AUDITOR,
    OPERATOR,
    ContextFactory,
    Problems,
    logged_in,
    start_inventory_run,
    wait_until_finished,
)

TOOL = "check_stock_levels"


def _rows(page: Page) -> Locator:
    return page.locator("main table.table tbody tr")


def test_an_auditor_filters_the_audit_log(
    new_context: ContextFactory, live_owm: str, screenshot_dir: Path
) -> None:
    # A tool call of our own, so the log holds more than one kind of entry.
    operator = logged_in(new_context().new_page(), live_owm, *OPERATOR)
    start_inventory_run(operator, live_owm)
    wait_until_finished(operator)

    page = logged_in(new_context().new_page(), live_owm, *AUDITOR)
    problems = Problems(page)
    page.goto(f"{live_owm}/audit/")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    rows = _rows(page)
    expect(rows.first).to_be_visible()
    all_count = rows.count()
    events = set(rows.locator("td:nth-child(3)").all_inner_texts())
    assert len(events) > 1, events

    page.get_by_label("Tool").select_option(TOOL)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("tool") == [TOOL])
    expect(page.get_by_label("Tool")).to_have_value(TOOL)
    tools = rows.locator("td:nth-child(6)").all_inner_texts()
    assert tools and set(tools) == {TOOL}, tools
    assert len(tools) < all_count, (len(tools), all_count)

    page.get_by_role("button", name="Verify chain now").click()
    expect(page.locator("#audit-verify .status")).to_have_text("Intact")
    page.screenshot(path=screenshot_dir / "audit-filtered.png", full_page=True)

    export = page.get_by_role("link", name="Export CSV")
    href = export.get_attribute("href") or ""
    assert f"tool={TOOL}" in href, href
    response = page.request.get(f"{live_owm}{href}")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text().splitlines()
    assert len(lines) == len(tools) + 1, lines[:3]  # a header, then one line per entry
    assert all(TOOL in line for line in lines[1:])

    assert problems.all() == []
