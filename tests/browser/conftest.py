"""Real Chromium against a real server: Debian's /usr/bin/chromium driven by Playwright, and the app
served by waitress in a background thread on a free port.

The server shares its kernel with the test (one object, one ManualClock), so a test moves time
with `kernel.clock.set(...)` and `timers.tick(kernel)` and the pages see the moved clock at once.
One browser serves the whole session and one server each test module; each person in a scenario gets a fresh
browser context (their own cookies), sized like the device under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, LiveServer, served, town


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's package (`apt-get install chromium`, "
            "which `make test` does when it may) to run the browser tests"
        )
    return CHROMIUM


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on a fresh SQLite database with the demo data, served by waitress on a free port:
    one town per test module, so what one module's scenarios do (a moved clock, a divided branch,
    an edited row) never changes what another's find."""
    with served(town(tmp_path_factory.mktemp("browser-server")), "test") as server:
        yield server


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
