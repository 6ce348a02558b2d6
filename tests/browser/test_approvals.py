"""Human approval across two browsers: an operator's run pauses on a gated tool
call, an approver decides in the inbox, and the operator's page follows live."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    ADMIN,
    OPERATOR,
    PO_PROMPT,
    TIMEOUT_MS,
    ContextFactory,
    Problems,
    logged_in,
    start_inventory_run,
    tool_item,
    wait_until_finished,
)

APPROVAL_LINK = re.compile(r"/approvals/#approval-(\d+)$")


def _run_waiting_for_approval(operator: Page, base_url: str) -> str:
    """Start the purchase-order run; return the id of the approval it waits on."""
    start_inventory_run(operator, base_url, PO_PROMPT)
    expect(operator.locator("li.event-waiting")).to_contain_text(
        "waiting for a human to approve", timeout=TIMEOUT_MS
    )
    expect(operator.locator("#run-status")).to_have_text("waiting approval")
    requested = operator.locator("li.event-approval").filter(
        has_text="Approval requested for create_purchase_order"
    )
    expect(requested).to_contain_text("SUP-001")
    href = requested.get_by_role("link", name="Open the approvals inbox").get_attribute("href")
    match = APPROVAL_LINK.search(href or "")
    assert match, href
    return match.group(1)


def _two_browsers(new_context: ContextFactory, base_url: str) -> tuple[Page, Page]:
    operator = logged_in(new_context().new_page(), base_url, *OPERATOR)
    approver = logged_in(new_context().new_page(), base_url, *ADMIN)
    return operator, approver


def _open_inbox(approver: Page, base_url: str) -> None:
    """Open the approvals inbox and wait until its live socket is connected."""
    with approver.expect_websocket(lambda ws: ws.url.endswith("/ws/approvals/")):
        approver.goto(f"{base_url}/approvals/")
    expect(approver.get_by_role("heading", name="Approvals", exact=True)).to_be_visible()


def _assert_decided(approver: Page, approval_id: str, status: str, note: str) -> None:
    """After a reload the inbox lists the decision under "Recently decided"."""
    approver.reload()
    expect(approver.locator(f"#approval-{approval_id}")).to_have_count(0)
    row = approver.locator("table tbody tr").filter(has_text="create_purchase_order").first
    expect(row.locator(".status")).to_have_text(status)
    expect(row).to_contain_text("admin")
    expect(row).to_contain_text(note)


def test_an_approver_in_a_second_browser_approves_and_the_run_resumes_live(
    new_context: ContextFactory, live_owm: str, screenshot_dir: Path
) -> None:
    operator, approver = _two_browsers(new_context, live_owm)
    problems = [Problems(operator), Problems(approver)]
    _open_inbox(approver, live_owm)

    approval_id = _run_waiting_for_approval(operator, live_owm)

    card = approver.locator(f"#approval-{approval_id}")
    expect(card).to_be_visible(timeout=TIMEOUT_MS)  # arrived live, no reload
    expect(card).to_contain_text("requested by operator")
    expect(card.get_by_label("Arguments (edit, then approve)")).to_contain_text("SUP-001")
    approver.screenshot(path=screenshot_dir / "approvals-pending.png", full_page=True)
    card.get_by_role("button", name="Approve").click()
    expect(card).to_have_count(0, timeout=TIMEOUT_MS)  # no longer pending

    decided = operator.locator("li.event-approval").filter(has_text="Approved:")
    expect(decided).to_contain_text("create_purchase_order by admin", timeout=TIMEOUT_MS)
    tool = tool_item(operator, "create_purchase_order")
    expect(tool.locator(".tool-status")).to_have_text("succeeded", timeout=TIMEOUT_MS)
    wait_until_finished(operator)
    expect(operator.locator("#final-answer")).not_to_be_empty()
    operator.screenshot(path=screenshot_dir / "run-approved.png", full_page=True)
    _assert_decided(approver, approval_id, "Approved", "")

    assert [p.all() for p in problems] == [[], []]


def test_a_rejection_reaches_the_waiting_run(new_context: ContextFactory, live_owm: str) -> None:
    operator, approver = _two_browsers(new_context, live_owm)
    problems = [Problems(operator), Problems(approver)]
    approval_id = _run_waiting_for_approval(operator, live_owm)

    _open_inbox(approver, live_owm)
    card = approver.locator(f"#approval-{approval_id}")
    note = "Over budget this month: ask procurement first"
    card.get_by_label("Note (sent to the agent when rejecting)").fill(note)
    card.get_by_role("button", name="Reject").click()
    expect(card).to_have_count(0, timeout=TIMEOUT_MS)  # no longer pending

    decided = operator.locator("li.event-approval").filter(has_text="Rejected:")
    expect(decided).to_contain_text("create_purchase_order by admin", timeout=TIMEOUT_MS)
    expect(decided).to_contain_text(note)
    tool = tool_item(operator, "create_purchase_order")
    expect(tool.locator(".tool-status")).not_to_have_text("succeeded", timeout=TIMEOUT_MS)
    expect(operator.locator("#run-connection")).to_have_text("finished", timeout=TIMEOUT_MS)
    _assert_decided(approver, approval_id, "Rejected", note)

    assert [p.all() for p in problems] == [[], []]
