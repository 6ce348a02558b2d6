"""The run page in a real browser: a run streams in live over the websocket,
survives a reload, and works on a phone; login rejects a wrong password."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import (
    OPERATOR,
    RUN_URL,
    STOCK_PROMPT,
    TIMEOUT_MS,
    Problems,
    log_in,
    start_inventory_run,
)

PROMPT = STOCK_PROMPT


def wait_until_finished(page: Page) -> None:
    expect(page.locator("#final")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#run-status")).to_have_text("succeeded")


def test_operator_watches_a_run_stream_live(
    page: Page, live_owm: str, screenshot_dir: Path
) -> None:
    problems = Problems(page)
    log_in(page, live_owm, *OPERATOR)
    expect(page).not_to_have_url(re.compile(r"/login/"))  # landed on the dashboard

    page.goto(f"{live_owm}/agents/inventory/")
    page.fill("#id_input", PROMPT)
    page.screenshot(path=screenshot_dir / "console.png", full_page=True)
    page.get_by_role("button", name="Run agent").click()
    page.wait_for_url(RUN_URL)

    tool = page.locator("li.event.event-tool").filter(has_text="check_stock_levels").first
    expect(tool).to_be_visible(timeout=TIMEOUT_MS)
    expect(tool.locator("pre.json").first).to_contain_text("SKU-1001")
    expect(tool.locator(".tool-status")).to_have_text("succeeded", timeout=TIMEOUT_MS)
    expect(tool.locator(".duration")).to_have_text(re.compile(r"^\d+(\.\d)? ms$"))
    expect(page.locator("li.event.event-llm").first).to_contain_text("Model turn 1")

    final = page.locator("#final")
    expect(final).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#final-answer")).to_contain_text("SKU-1001")
    expect(page.locator("#run-status")).to_have_text("succeeded")
    expect(page.locator("#run-connection")).to_have_text("finished")
    expect(page.locator(".run-header .badge-offline")).to_have_text("Offline planner")
    page.screenshot(path=screenshot_dir / "run.png", full_page=True)

    assert problems.all() == []


def test_reloading_the_run_page_shows_the_whole_timeline_again(page: Page, live_owm: str) -> None:
    log_in(page, live_owm, *OPERATOR)
    start_inventory_run(page, live_owm)
    wait_until_finished(page)
    events = page.locator("ol#timeline > li.event")
    seqs_live = events.evaluate_all("items => items.map(li => li.dataset.seq)")
    assert len(seqs_live) >= 5, seqs_live

    page.reload()
    wait_until_finished(page)
    expect(page.locator("ol#timeline > li.event-finished")).to_have_count(1)
    expect(events).to_have_count(len(seqs_live))
    seqs_replayed = events.evaluate_all("items => items.map(li => li.dataset.seq)")
    assert seqs_replayed == seqs_live
    assert seqs_replayed[0] == "1"
    assert len(set(seqs_replayed)) == len(seqs_replayed)


def test_login_rejects_a_wrong_password(page: Page, live_owm: str) -> None:
    log_in(page, live_owm, "operator", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("didn't match")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.locator("#id_username")).to_have_value("operator")


def test_the_run_page_works_on_a_phone_viewport(
    browser: Browser, live_owm: str, screenshot_dir: Path
) -> None:
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        page = ctx.new_page()
        log_in(page, live_owm, *OPERATOR)
        start_inventory_run(page, live_owm)
        wait_until_finished(page)
        overflow = page.evaluate(
            "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        page.screenshot(path=screenshot_dir / "run-phone.png", full_page=True)
        assert overflow["scroll"] <= overflow["inner"] + 1, overflow
    finally:
        ctx.close()
