"""Debian's Chromium driven by Playwright: the dashboard's screenshot (``make demo``) and its test.

Why the system browser: ``playwright install`` downloads a browser build, which fails on
machines without internet access (this project's development and CI machines); Debian's
``chromium`` package is installed with apt instead (``.ci/run`` does it) and handed to Playwright
through ``executable_path``. As root Chromium needs ``--no-sandbox``; every launch gets a fresh
profile directory and no background networking (no update, sync or safe-browsing calls).

Playwright is a dev dependency: without it, or without the browser, :func:`browser_missing`
says why and the demo goes on without a screenshot.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

__all__ = [
    "CHROMIUM_ARGS",
    "LAPTOP",
    "PHONE",
    "browser_missing",
    "chromium_context",
    "chromium_path",
    "screenshot",
]

CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",  # root in containers and CI: the setuid sandbox is unavailable
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--disable-dev-shm-usage",  # small /dev/shm in containers
)
LAPTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str | None:
    """Debian's Chromium (``PRICEBOT_CHROMIUM`` overrides), or None when there is none."""
    given = os.environ.get("PRICEBOT_CHROMIUM")
    if given:
        return given if Path(given).exists() else None
    for path in CANDIDATES:
        if Path(path).exists():
            return path
    return shutil.which("chromium")


def browser_missing() -> str | None:
    """Why no page can be driven here (None: Playwright and Chromium are both present)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (a dev dependency: pip install -e '.[dev]')"
    if chromium_path() is None:
        return "no Chromium at /usr/bin/chromium (Debian: apt-get install -y chromium)"
    return None


@contextlib.contextmanager
def chromium_context(viewport: ViewportSize | None = None) -> Iterator[Any]:
    """A headless Chromium browser context with a fresh profile, closed (and removed) after."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise FileNotFoundError(browser_missing())
    profile = tempfile.mkdtemp(prefix="pricebot-chromium-")
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile,
                executable_path=path,
                headless=True,
                args=list(CHROMIUM_ARGS),
                viewport=viewport or LAPTOP,
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(url: str, path: Path, *, viewport: ViewportSize | None = None) -> Path:
    """A full-page PNG of ``url`` (raises when the page cannot be loaded)."""
    with chromium_context(viewport) as context:
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.screenshot(path=str(path), full_page=True)
    return path
