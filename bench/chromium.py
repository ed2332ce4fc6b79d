"""How mikke's browser tests and bench/web.py start Debian's Chromium (Playwright never downloads one here).

bench/web.py imports this as ``chromium`` (its folder is on the path); the tests as ``bench.chromium``.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser
from playwright.sync_api import Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    # Headless Chromium builds the address bar's WebUI popups (a renderer of its own, about a second of
    # CPU) for every new window; a reader's browser has them already, so they are not a page's cost.
    "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup",
]


def launch_chromium(playwright: Playwright) -> Browser:
    """Start Debian's headless Chromium with the arguments above."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
