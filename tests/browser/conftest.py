"""Browser tests: a real OWM server in a subprocess, driven by a real Chromium.

The server is started the way ``scripts/run`` starts it (migrate, seed_demo,
runserver --noreload: Daphne, embedded Celery worker, in-memory channel layer,
offline planner), but on a free port with its own temporary OWM_VAR_DIR, so it
never touches the developer's database. The tests talk to it over HTTP and
websockets only; they do not use pytest-django's test database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
STARTUP_TIMEOUT_S = 60.0
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Variables that would point the server at shared infrastructure or a real model.
SCRUBBED_ENV = (
    "DATABASE_URL",
    "REDIS_URL",
    "OWM_LLM_BASE_URL",
    "OWM_LLM_API_KEY",
    "OWM_CELERY_EAGER",
    "OWM_EMBEDDED_WORKER",
    "OWM_ENV",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
)


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _python() -> str:
    venv_python = ROOT / ".venv" / "bin" / "python"
    return str(venv_python) if venv_python.exists() else sys.executable


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


@pytest.fixture(scope="session")
def live_owm(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Base URL of a real OWM server (``manage.py runserver``) in a subprocess."""
    var_dir = tmp_path_factory.mktemp("owm-var")
    log_path = var_dir / "server.log"
    env = os.environ.copy()
    for name in SCRUBBED_ENV:
        env.pop(name, None)
    env["OWM_VAR_DIR"] = str(var_dir)
    env["PYTHONUNBUFFERED"] = "1"
    python = _python()

    with log_path.open("ab") as log:
        for command in (["migrate", "--noinput"], ["seed_demo"]):
            result = subprocess.run(  # noqa: S603 - fixed argv, our own manage.py
                [python, "manage.py", *command],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
            if result.returncode != 0:
                pytest.fail(f"manage.py {' '.join(command)} failed:\n{_tail(log_path)}")

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = log_path.open("ab")
    server = subprocess.Popen(  # noqa: S603 - fixed argv, our own manage.py
        [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    failed = False
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"OWM server exited with {server.returncode}:\n{_tail(log_path)}")
            try:
                with urllib.request.urlopen(f"{base_url}/login/", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"OWM server did not answer /login/ within {STARTUP_TIMEOUT_S:.0f} s:\n"
                    f"{_tail(log_path)}"
                )
            time.sleep(0.25)
        yield base_url
        failed = request.session.testsfailed > 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        log.close()
        if failed:
            print(f"\n--- OWM server log tail ({log_path}) ---\n{_tail(log_path)}")


# Package scope: Playwright's sync API runs an event loop in the main thread
# until it stops; it must stop with the browser tests, or every async test
# collected after them finds a loop already running.
@pytest.fixture(scope="package")
def _playwright() -> Iterator[object]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("OWM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"OWM_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(_playwright) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A headless Debian Chromium driven through Playwright's sync API."""
    chromium = _playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture
def new_context(browser):  # type: ignore[no-untyped-def]
    """A factory of fresh browser contexts (separate cookies: separate users),
    desktop-sized unless told otherwise, each with the CSP probe installed."""
    from tests.browser.helpers import CSP_PROBE, TIMEOUT_MS

    made = []

    def make(**options):  # type: ignore[no-untyped-def]
        options.setdefault("viewport", {"width": 1280, "height": 900})
        ctx = browser.new_context(**options)
        ctx.set_default_timeout(TIMEOUT_MS)
        ctx.add_init_script(CSP_PROBE)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def context(new_context):  # type: ignore[no-untyped-def]
    return new_context()


@pytest.fixture
def page(context):  # type: ignore[no-untyped-def]
    return context.new_page()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
