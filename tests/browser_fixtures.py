"""Browser test fixtures: a real uvicorn server on a migrated SQLite file with the demo data,
and Debian's Chromium driven by Playwright (never `playwright install`).

Defined once for the whole suite (tests/conftest.py imports them): Playwright's sync API keeps
an event loop of its own for as long as the browser lives, so there must be one browser, and
the tests that use it run after every asyncio test, on one xdist worker (see tests/workers.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .servers import start_server

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _serve_demo(tmp_path_factory: pytest.TempPathFactory, name: str, *args: str) -> Iterator[str]:
    var = tmp_path_factory.mktemp(name)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "AIFHUB_VAR_DIR": str(var),
        "AIFHUB_DATABASE_URL": f"sqlite:///{var / 'aifhub.db'}",
        "AIFHUB_SECRET_KEY": "browser-test-secret",
        "AIFHUB_LOGIN_MAX_FAILURES": "50",
    }
    server = start_server(env, var / "server.log", args=("--demo", *args), cwd=var)
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of `aifhub serve --demo` (migrated SQLite file, demo data) in a subprocess,
    without its worker: what its pages show stays as the tests left it (jobs stay queued)."""
    yield from _serve_demo(tmp_path_factory, "live", "--no-worker")


@pytest.fixture(scope="session")
def live_server_with_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`aifhub serve --demo` WITH its in-process worker: jobs run, mail leaves, charges settle,
    as on a newcomer's machine."""
    yield from _serve_demo(tmp_path_factory, "live-worker")


# Sent by every page of a test's browser once its load event is over: the navigation's timing
# (server time = requestStart..responseStart, load = startTime..loadEventEnd), in milliseconds.
_TIMING_SCRIPT = """
addEventListener('load', () => setTimeout(() => {
  const n = performance.getEntriesByType('navigation')[0];
  if (n && window.__aifhubTiming) window.__aifhubTiming(location.pathname,
      n.responseStart - n.requestStart, n.loadEventEnd - n.startTime);
}, 0));
"""


class TimedBrowser:
    """The browser, whose every context records each page load's timing (bench/page_loads.py
    reads the file it writes: the page-load figures of the journeys)."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self.timings: list[dict[str, Any]] = []

    def new_context(self, **kwargs: Any) -> Any:
        context = self._browser.new_context(**kwargs)

        def record(_source: Any, path: str, server_ms: float, load_ms: float) -> None:
            self.timings.append({"path": path, "server_ms": server_ms, "load_ms": load_ms})

        context.expose_binding("__aifhubTiming", record)
        context.add_init_script(_TIMING_SCRIPT)
        return context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser(artifacts_dir: Path) -> Iterator[object]:
    """Headless Chromium of the system, through Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/setup.sh --test)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        timed = TimedBrowser(pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS))
        try:
            yield timed
        finally:
            timed.close()
            (artifacts_dir / "page-timings.json").write_text(json.dumps(timed.timings))
