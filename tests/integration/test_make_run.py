"""`make run`'s main job (`python -m workers.stack`) as a user runs it: it prints the waiting
sample tasks with the exact command that approves each; that command, the printed audit
verification and the printed inbox login work as printed; Ctrl-C
stops every process; a second run finds the state it left, waiting tasks still waiting."""

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]
import pytest

from hitl.client import connect
from hitl.contracts import TaskResult, TaskStatus
from tests.support import assert_eventually
from workers.local.ports import free_port

pytestmark = pytest.mark.integration

READY = "Press Ctrl-C to stop everything."


class StackRun:
    """One `python -m workers.stack` process and what it printed."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    @classmethod
    async def start(cls, env: dict[str, str], log: Path) -> "StackRun":
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "workers.stack",
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

    def audit_command(self) -> str:
        """The printed `hitl audit verify` command line."""
        return next(
            line.split("The audit trail: ", 1)[1]
            for line in self.lines
            if line.startswith("The audit trail: ")
        )

    def inbox_login(self) -> tuple[str, str, str]:
        """The printed inbox address and demo login (name, password)."""
        found = next(
            re.match(r"^Reviewer inbox: (\S+)  \(demo login: (\S+) / (\S+)\)$", line)
            for line in self.lines
            if line.startswith("Reviewer inbox:")
        )
        assert found is not None, self.lines
        return found.group(1), found.group(2), found.group(3)

    def approve_commands(self) -> list[str]:
        return [line.split("Approve: ", 1)[1] for line in self.lines if line.strip().startswith("Approve: ")]

    async def interrupt(self) -> int:
        """Ctrl-C, as a user stops it; returns the exit code."""
        self.process.send_signal(signal.SIGINT)
        return await asyncio.wait_for(self.process.wait(), timeout=60)


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


async def test_the_main_job_prints_working_commands_stops_cleanly_and_keeps_its_state(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {
        **os.environ,
        "HITL_STATE_DIR": str(state),
        "HITL_TEMPORAL_PORT": str(free_port()),
        "HITL_UI_PORT": str(free_port()),
        "HITL_INBOX_PORT": str(free_port()),
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
        # The workers connect as their own role and verify as printed (no migrator DSN in sight).
        command = first.audit_command()
        assert "postgresql://hitl_worker:" in command and "hitl_migrator" not in command
        verified = await asyncio.to_thread(
            subprocess.run, command, shell=True, capture_output=True, text=True, timeout=60, check=False
        )
        assert (verified.returncode, verified.stdout[:20]) == (0, "audit chain intact: "), verified
        # The inbox's root is its login page, and the printed demo login works.
        url, name, password = first.inbox_login()
        async with httpx.AsyncClient(base_url=url) as inbox:
            page = await inbox.get("/")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert (page.status_code, csrf is not None) == (200, True)
            login = {"csrf": csrf.group(1) if csrf else "", "name": name, "password": password}
            done = await inbox.post("/login", data=login)
            assert (done.status_code, done.headers["location"]) == (303, "/queue")
        running = {p.name() for p in processes_of(state)}
        assert {"postgres", "temporal"} <= running, running  # the check below can see them
    finally:
        code = await first.interrupt()
    assert code == 0
    await all_stopped(state)

    second = await StackRun.start(env, tmp_path / "stack.log")
    try:
        again = second.task_lines()
        assert again[waiting[0]].startswith("completed (decided by "), again
        assert all(again[t].startswith("WAITING") for t in waiting[1:]), again
        assert all(again[t].startswith("completed") for t in finished), again
    finally:
        assert await second.interrupt() == 0
    await all_stopped(state)
