"""Debian's Chromium for the browser tests and benchmarks, launched headless and offline.

Playwright's own browser download cannot work without internet, so Playwright drives the system
browser (`apt-get install -y chromium`; `.ci/run` installs it). `HITL_CHROMIUM` names another.
"""

import os
import shutil
from pathlib import Path

CHROMIUM = os.environ.get("HITL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps calling home, which floods a closed network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_found() -> bool:
    """Whether the browser is installed."""
    return Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None
