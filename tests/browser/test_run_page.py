"""The run page in a real browser: a run streams in live over the websocket,
survives a reload, and works on a phone; login rejects a wrong password."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

OPERATOR = ("operator", "owm-operator-demo")
PROMPT = "check stock levels for SKU-1001 at the Seoul warehouse"
RUN_URL = re.compile(r"/runs/[0-9a-f-]{36}/$")
TIMEOUT_MS = 20_000

# Runs for every page before its own scripts: CSP violations are recorded even
# where the browser would not log them to the console.
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""


class Problems:
    """Console errors, uncaught exceptions and CSP violations seen by a page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console.error: {message.text} ({message.location})")

    def all(self) -> list[str]:
        csp = self.page.evaluate("window.__cspViolations || []")
        return self.errors + [f"CSP: {line}" for line in csp]


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.add_init_script(CSP_PROBE)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()


def start_inventory_run(page: Page, base_url: str, prompt: str = PROMPT) -> None:
    page.goto(f"{base_url}/agents/inventory/")
    page.fill("#id_input", prompt)
    page.get_by_role("button", name="Run agent").click()
    page.wait_for_url(RUN_URL)


def wait_until_finished(page: Page) -> None:
    expect(page.locator("#final")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#run-status")).to_have_text("succeeded")


def test_operator_watches_a_run_stream_live(
    page: Page, live_owm: str, screenshot_dir: Path
) -> None:
    problems = Problems(page)
    log_in(page, live_owm, *OPERATOR)
    expect(page).to_have_url(f"{live_owm}/")

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
