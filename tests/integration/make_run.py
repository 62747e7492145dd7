"""Drive `make run` as a user does: start it, read what it prints, use it from a second shell,
stop it by signalling `make`, and check that nothing it started is left running."""

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from tests.support import assert_eventually
from workers.local.ports import free_port

READY = "Press Ctrl-C to stop everything."

ROOT = Path(__file__).parents[2]


class StackRun:
    """One `make run` process and what it printed."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    @classmethod
    async def start(cls, env: dict[str, str], log: Path, *variables: str) -> "StackRun":
        """`make run` with make `variables` (e.g. `AGENT=langgraph`), until it printed its report."""
        process = await asyncio.create_subprocess_exec(
            "make",
            "run",
            *variables,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=log.open("a"),
            start_new_session=True,
        )
        run = cls(process)
        await asyncio.wait_for(run._read_until_ready(), timeout=150)
        return run

    async def _read_until_ready(self) -> None:
        assert self.process.stdout is not None
        while not self.lines or READY not in self.lines[-1]:
            line = await self.process.stdout.readline()
            if not line:
                raise AssertionError(f"the stack exited before it was ready: {self.lines}")
            self.lines.append(line.decode().rstrip("\n"))

    def task_lines(self) -> dict[str, str]:
        """`demo-refund-N` -> its status line."""
        found = (re.match(r"^  (demo-refund-\d+): (.*)$", line) for line in self.lines)
        return {m.group(1): m.group(2) for m in found if m}

    def decide_commands(self) -> list[str]:
        """The printed `temporal workflow signal` commands (Approve: or Answer:), in order."""
        found = (re.match(r"^    (?:Approve|Answer): +(.*)$", line) for line in self.lines)
        return [m.group(1) for m in found if m]

    def inbox_login(self) -> tuple[str, str, str]:
        """The printed inbox address and demo login (address, name, password)."""
        found = [
            re.match(r"^Reviewer inbox: (\S+)  \(demo login: (\S+) / (\S+)\)$", line) for line in self.lines
        ]
        [match] = [m for m in found if m]
        return match.group(1), match.group(2), match.group(3)

    async def stop(self, sig: signal.Signals) -> int:
        """Send `sig` to `make` alone (not its process group); return make's exit code."""
        self.process.send_signal(sig)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout=60)
        except TimeoutError:
            os.killpg(self.process.pid, signal.SIGTERM)  # leave nothing running after a failure
            raise


def processes_of(state: Path) -> list[psutil.Process]:
    """Processes still running from this state folder (PostgreSQL detaches from its parent)."""
    alive = []
    for proc in psutil.process_iter(["cmdline", "environ"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
            environ = proc.info["environ"] or {}
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if str(state) in cmdline or environ.get("HITL_STATE_DIR") == str(state):
            alive.append(proc)
    return alive


async def all_stopped(state: Path) -> None:
    """Wait until no process of this state folder is left; fail naming those still running."""
    # Workers give in-flight activities up to 30 s to finish when stopped (workers/running.py).
    await assert_eventually(
        lambda: asyncio.to_thread(processes_of, state), lambda alive: alive == [], within=90
    )


def second_shell_env(**extra: str) -> dict[str, str]:
    """A fresh terminal's environment after `source .venv/bin/activate`: no HITL_ or TEMPORAL_
    variable of this process's, this virtual environment first on PATH; plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HITL_", "TEMPORAL_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


def second_shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `command` with `sh` in `cwd` as in a fresh terminal (`second_shell_env`)."""
    return subprocess.run(
        command, shell=True, cwd=cwd, env=second_shell_env(), capture_output=True, text=True, timeout=60
    )


def stack_env(state: Path) -> dict[str, str]:
    """This process's environment for a `make run` in `state` on free ports."""
    return {
        # As a user runs it: no payload keys configured, so the stack makes its own.
        **{name: value for name, value in os.environ.items() if not name.startswith("HITL_CODEC_")},
        "HITL_STATE_DIR": str(state),
        "HITL_TEMPORAL_PORT": str(free_port()),
        "HITL_UI_PORT": str(free_port()),
        "HITL_CODEC_PORT": str(free_port()),
        "HITL_INBOX_PORT": str(free_port()),
    }
