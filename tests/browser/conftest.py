"""Real Chromium against a real server: Debian's /usr/bin/chromium driven by Playwright, and the app
served by waitress in a background thread on a free port.

The server shares its kernel with the test (one object, one ManualClock), so a test moves time
with `kernel.clock.set(...)` and `timers.tick(kernel)` and the pages see the moved clock at once.
One server and one browser serve the whole session; each person in a scenario gets a fresh
browser context (their own cookies), sized like the device under test.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, LiveServer
from support import load_everything, make_kernel

from xianfeng.web import create_app


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's package (`apt-get install chromium`, "
            "which `make test` does when it may) to run the browser tests"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on a fresh SQLite database with the demo data, served by waitress on a free port."""
    from waitress import create_server

    folder = tmp_path_factory.mktemp("browser-server")
    kernel = make_kernel(f"sqlite:///{folder / 'xianfeng.sqlite3'}", str(folder))
    load_everything(kernel)
    server = create_server(create_app(kernel), host="127.0.0.1", port=0, threads=8, ident="xianfeng-test")
    thread = threading.Thread(target=server.run, name="waitress-test", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.effective_port}", kernel)  # type: ignore[union-attr]
    finally:
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(timeout=5)
        kernel.db.dispose()


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
