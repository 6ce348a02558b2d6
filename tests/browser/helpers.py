"""Shared helpers for the browser tests: logging in, starting a run, and
collecting the console errors and CSP violations a page runs into."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, ConsoleMessage, Locator, Page, expect

OPERATOR = ("operator", "owm-operator-demo")
ADMIN = ("admin", "owm-admin-demo")
AUDITOR = ("auditor", "owm-auditor-demo")
STOCK_PROMPT = "check stock levels for SKU-1001 at the Seoul warehouse"
# With a price: the demo cap on operators (quantity x unit_price < 5000) fails closed
# when unit_price is left out, and the call would be denied rather than gated.
PO_PROMPT = "create a purchase order from SUP-001 for 50 units of SKU-1001 at $38"
RUN_URL = re.compile(r"/runs/[0-9a-f-]{36}/$")
TIMEOUT_MS = 20_000

# The `new_context` fixture: keyword arguments go to Browser.new_context.
ContextFactory = Callable[..., BrowserContext]

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

    def clear(self) -> None:
        self.errors.clear()


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()


def logged_in(page: Page, base_url: str, username: str, password: str) -> Page:
    """Log in and wait until the login form has let go of the page."""
    log_in(page, base_url, username, password)
    expect(page).not_to_have_url(re.compile(r"/login/"))
    return page


def start_inventory_run(page: Page, base_url: str, prompt: str = STOCK_PROMPT) -> None:
    page.goto(f"{base_url}/agents/inventory/")
    page.fill("#id_input", prompt)
    page.get_by_role("button", name="Run agent").click()
    page.wait_for_url(RUN_URL)


def wait_until_finished(page: Page, status: str = "succeeded") -> None:
    expect(page.locator("#run-connection")).to_have_text("finished", timeout=TIMEOUT_MS)
    expect(page.locator("#run-status")).to_have_text(status)


def tool_item(page: Page, name: str) -> Locator:
    """The run timeline's entry for the first call of tool *name*."""
    return page.locator("li.event.event-tool").filter(has_text=f"Tool call: {name}").first
