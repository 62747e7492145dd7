"""The static guard on workflow code (`workflows/ruff.toml`): what the SDK's sandbox would stop at
run time is refused by lint in `workflows/`, where the sandbox does not reach (its modules are
passed through) or is off (`HITL_WORKFLOW_SANDBOX=0`). The same line elsewhere is not refused, so
it is the workflows' own configuration that guards."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).parent / "ruff"

FORBIDDEN = {
    "clock": ("import datetime\n\n\ndef f():\n    return datetime.datetime.now()\n", "TID251"),
    "time module": ("import time\n\n\ndef f():\n    return time.time()\n", "TID251"),
    "randomness": ("import random\n\n\ndef f():\n    return random.random()\n", "TID251"),
    "uuid4": ("import uuid\n\n\ndef f():\n    return uuid.uuid4()\n", "TID251"),
    "environment": ("import os\n\n\ndef f():\n    return os.environ\n", "TID251"),
    "file by open": ('def f():\n    with open("x") as handle:\n        return handle.read()\n', "PTH123"),
    "file by pathlib": (
        'from pathlib import Path\n\n\ndef f():\n    return Path("x").read_text()\n',
        "TID251",
    ),
    "print": ('def f():\n    print("x")\n', "T201"),
    "sockets": ("import socket\n\n\ndef f():\n    return socket.socket()\n", "TID251"),
    "threads": ("import threading\n\n\ndef f():\n    return threading.Thread()\n", "TID251"),
}


def lint(source: str, where: str) -> str:
    """Ruff's findings for `source` as if it were the file `where` in this repository."""
    done = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--output-format", "concise", "--stdin-filename", where, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return done.stdout + done.stderr


@pytest.mark.parametrize("name", sorted(FORBIDDEN))
def test_workflow_code_that_the_sandbox_would_stop_fails_lint(name: str) -> None:
    source, rule = FORBIDDEN[name]
    assert rule in lint(source, "workflows/probe.py")
    assert rule not in lint(source, "activities/probe.py")
