"""Every main page renders for an admin without console errors or CSP
violations, on a desktop and (for a few) on a phone, with a full-page
screenshot of each in test-artifacts/screenshots/ for a human to look at."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests.browser.helpers import ADMIN, ContextFactory, Problems, logged_in

MAIN_PAGES = (
    "/",
    "/runs/",
    "/approvals/",
    "/support/",
    "/data/",
    "/workflows/",
    "/notifications/",
    "/audit/",
    "/rbac/matrix/",
    "/webhooks/",
    "/account/service-accounts/",
)
# Dashboard pages that are being added; a 404 means "not there yet", not a failure.
OPTIONAL_PAGES = ("/overview/", "/tools/", "/insights/", "/inventory/", "/endpoints/")
PHONE_PAGES = ("/", "/runs/", "/approvals/", "/support/", "/audit/", "/overview/")
PHONE_WIDTH = 390
PHONE = {
    "viewport": {"width": PHONE_WIDTH, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

# The outermost elements that stick out past the right edge, to say what to fix.
OVERFLOWING = r"""
(width) => {
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.getBoundingClientRect().right <= width + 1) continue;
    if (out.some((o) => o.contains(el))) continue;
    let scroller = el.parentElement;
    while (scroller && getComputedStyle(scroller).overflowX === "visible") {
      scroller = scroller.parentElement;
    }
    if (scroller && scroller !== document.body && scroller !== document.documentElement) continue;
    out.push(el);
  }
  return out.slice(0, 5).map((el) => {
    const classes = el.className ? "." + String(el.className).trim().split(/\s+/).join(".") : "";
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes;
    return name + " right=" + Math.round(el.getBoundingClientRect().right);
  });
}
"""


def _name(path: str, suffix: str = "") -> str:
    slug = path.strip("/").replace("/", "-") or "home"
    return f"page-{slug}{suffix}.png"


def _visit(page: Page, base_url: str, path: str) -> int:
    response = page.goto(f"{base_url}{path}", wait_until="load")
    assert response is not None, path
    return response.status


def test_screenshots_of_the_main_pages(
    new_context: ContextFactory, live_owm: str, screenshot_dir: Path
) -> None:
    page = logged_in(new_context().new_page(), live_owm, *ADMIN)
    problems = Problems(page)
    failures: dict[str, object] = {}
    for path in MAIN_PAGES + OPTIONAL_PAGES:
        status = _visit(page, live_owm, path)
        if status == 404 and path in OPTIONAL_PAGES:
            continue
        page.wait_for_timeout(150)  # let htmx and live sockets settle
        page.screenshot(path=screenshot_dir / _name(path), full_page=True)
        seen = problems.all()
        if status != 200 or seen:
            failures[path] = {"status": status, "problems": seen}
        problems.clear()
    assert failures == {}


def test_the_main_pages_fit_a_phone_screen(
    new_context: ContextFactory, live_owm: str, screenshot_dir: Path
) -> None:
    page = logged_in(new_context(**PHONE).new_page(), live_owm, *ADMIN)
    problems = Problems(page)
    failures: dict[str, object] = {}
    for path in PHONE_PAGES:
        status = _visit(page, live_owm, path)
        if status == 404 and path in OPTIONAL_PAGES:
            continue
        page.wait_for_timeout(150)
        page.screenshot(path=screenshot_dir / _name(path, "-phone"), full_page=True)
        # Compare with the phone's width, not window.innerWidth: a mobile browser
        # widens its layout viewport to fit content that overflows.
        wide = page.evaluate(OVERFLOWING, PHONE_WIDTH)
        seen = problems.all()
        if status != 200 or seen or wide:
            failures[path] = {"status": status, "problems": seen, "wider than the phone": wide}
        problems.clear()
    assert failures == {}
