"""`make run` as a user runs it: it prints the waiting sample tasks with the exact command that
approves each; that command works as printed, and so do the CLI's commands from a second shell;
SIGINT or SIGTERM sent to `make` alone stops every process; a second run finds the state it left,
waiting tasks still waiting."""

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psutil  # type: ignore[import-untyped]
import pytest

from hitl.client import connect
from hitl.contracts import TaskResult, TaskStatus
from tests.support import assert_eventually
from workers.local.ports import free_port

pytestmark = pytest.mark.integration

READY = "Press Ctrl-C to stop everything."


ROOT = Path(__file__).parents[2]


class StackRun:
    """One `make run` process and what it printed."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    @classmethod
    async def start(cls, env: dict[str, str], log: Path) -> "StackRun":
        process = await asyncio.create_subprocess_exec(
            "make",
            "run",
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

    def approve_commands(self) -> list[str]:
        return [line.split("Approve: ", 1)[1] for line in self.lines if line.strip().startswith("Approve: ")]

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
    await assert_eventually(lambda: asyncio.to_thread(processes_of, state), lambda alive: alive == [])


SECOND_SHELL = [
    "hitl inbox",
    "hitl audit show demo-refund-1",
    "hitl audit verify",
    "hitl report",
    "hitl feedback export",
]
"""README commands a reviewer types in a second shell, without exporting anything."""


def second_shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `command` as in a fresh terminal in `cwd` after `source .venv/bin/activate`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HITL_", "TEMPORAL_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


async def test_the_main_job_prints_working_commands_stops_cleanly_and_keeps_its_state(tmp_path: Path) -> None:
    state = tmp_path / ".hitl-state"  # where a second shell in tmp_path looks by default
    env = {
        **os.environ,
        "HITL_STATE_DIR": str(state),
        "HITL_TEMPORAL_PORT": str(free_port()),
        "HITL_UI_PORT": str(free_port()),
    }
    first = await StackRun.start(env, tmp_path / "stack.log")
    try:
        statuses = first.task_lines()
        waiting = sorted(t for t, s in statuses.items() if s.startswith("WAITING"))
        finished = sorted(t for t, s in statuses.items() if s.startswith("completed"))
        assert len(statuses) == 5 and waiting and finished, first.lines
        commands = first.approve_commands()
        assert len(commands) == len(waiting)
        approved = await asyncio.to_thread(
            subprocess.run, commands[0], shell=True, capture_output=True, text=True, timeout=60, check=False
        )
        assert approved.returncode == 0, approved.stderr
        # Let it finish before stopping: an activity cut off by Ctrl-C would only be retried after
        # its timeout on the next run (durable, but slower than this test wants to wait).
        client = await connect(target_host=f"127.0.0.1:{env['HITL_TEMPORAL_PORT']}")
        done = await client.get_workflow_handle(waiting[0], result_type=TaskResult).result()
        assert done.status is TaskStatus.COMPLETED
        for command in SECOND_SHELL:
            shell = await asyncio.to_thread(second_shell, command, tmp_path)
            assert shell.returncode == 0, (command, shell.stderr)
        running = {p.name() for p in processes_of(state)}
        assert {"postgres", "temporal"} <= running, running  # the check below can see them
    finally:
        code = await first.stop(signal.SIGINT)
    assert code == -signal.SIGINT  # the stack stopped, then make ended by the signal it got
    await all_stopped(state)
    assert not (state / "stack.env").exists()  # a stopped stack sends no shell to a dead address

    second = await StackRun.start(env, tmp_path / "stack.log")
    try:
        again = second.task_lines()
        assert again[waiting[0]].startswith("completed (decided by "), again
        assert all(again[t].startswith("WAITING") for t in waiting[1:]), again
        assert all(again[t].startswith("completed") for t in finished), again
    finally:
        assert await second.stop(signal.SIGTERM) == -signal.SIGTERM
    await all_stopped(state)
