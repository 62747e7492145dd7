"""Every block marked `run=demo` in the README and the docs works against the demo, as printed.

For each block: `make run` starts a fresh demo, and the block runs from a second shell in a
checkout of the repository (symlinks, so the files a block writes land in the test's folder):
shell blocks with `bash -e -o pipefail`, Python blocks saved to a file and run with the project's
Python. Each must exit 0 within two minutes. The demo listens on free ports rather than the
defaults, so the shell has `TEMPORAL_ADDRESS` set to it (as the default address would be) and
the blocks' `127.0.0.1:7233` is replaced by it.
"""

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.doc_blocks import ROOT, Block, all_blocks
from tests.integration.make_run import StackRun, all_stopped, second_shell_env, stack_env

pytestmark = pytest.mark.integration

DEMO_BLOCKS = [b for b in all_blocks() if b.marks.get("run") == "demo"]

DEFAULT_ADDRESS = "127.0.0.1:7233"

SOURCE_STACK = "set -a; . .hitl-state/stack.env; set +a"
"""How the README has a shell take the running stack's settings (address, keys, codec server)."""

LEFT_OUT = {".git", ".hitl-state", ".pytest-tmp", ".mypy_cache", ".ruff_cache"}
"""Entries of the repository the checkout does not link: history and local state."""


def checkout(folder: Path) -> Path:
    """The repository seen through one symlink per top-level entry."""
    folder.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in LEFT_OUT:
            (folder / entry.name).symlink_to(entry)
    return folder


@pytest.mark.parametrize("block", DEMO_BLOCKS, ids=lambda b: b.name)
async def test_the_block_works_against_the_demo(block: Block, tmp_path: Path) -> None:
    here = checkout(tmp_path / "checkout")
    state = here / ".hitl-state"  # where `hitl` in `here` finds the stack by default
    env = stack_env(state)
    address = f"127.0.0.1:{env['HITL_TEMPORAL_PORT']}"
    demo = await StackRun.start(env, tmp_path / "stack.log")
    try:
        body = block.body.replace(DEFAULT_ADDRESS, address)
        if block.language == "python":
            # As the README says: run from a shell that took the stack's settings.
            script = tmp_path / "block.py"
            script.write_text(body)
            argv = ["bash", "-e", "-c", f"{SOURCE_STACK}; {sys.executable} {script}"]
        else:
            argv = ["bash", "-e", "-o", "pipefail", "-c", body]
        done = await asyncio.to_thread(
            subprocess.run,
            argv,
            cwd=here,
            env=second_shell_env(TEMPORAL_ADDRESS=address),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert (done.returncode, "Traceback" in done.stderr) == (0, False), done.stdout + done.stderr
    finally:
        await demo.stop(signal.SIGINT)
    await all_stopped(state)
