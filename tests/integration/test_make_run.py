"""`make run` as a user runs it: it prints the waiting sample tasks with the exact command that
approves each; that command works as printed, and so do the CLI's commands from a second shell
and the printed inbox login;
SIGINT or SIGTERM sent to `make` alone stops every process; a second run finds the state it left,
waiting tasks still waiting."""

import asyncio
import re
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from hitl.client import connect
from hitl.codec import load_codec_keys
from hitl.contracts import TaskResult, TaskStatus
from hitl.settings.stack_file import read_stack_file
from tests.integration.make_run import (
    StackRun,
    all_stopped,
    processes_of,
    second_shell,
    second_shell_env,
    stack_env,
)

pytestmark = pytest.mark.integration

SECOND_SHELL = [
    "hitl inbox",
    "hitl audit show demo-refund-1",
    "hitl audit verify",
    "hitl report",
    "hitl feedback export",
]
"""README commands a reviewer types in a second shell, without exporting anything."""


async def test_the_main_job_prints_working_commands_stops_cleanly_and_keeps_its_state(tmp_path: Path) -> None:
    state = tmp_path / ".hitl-state"  # where a second shell in tmp_path looks by default
    env = stack_env(state)
    first = await StackRun.start(env, tmp_path / "stack.log")
    try:
        statuses = first.task_lines()
        waiting = sorted(t for t, s in statuses.items() if s.startswith("WAITING"))
        finished = sorted(t for t, s in statuses.items() if s.startswith("completed"))
        # On a fresh state every refund waits: no human decision has calibrated the agent's confidence.
        assert len(statuses) == 7 and waiting, first.lines
        commands = first.decide_commands()
        assert len(commands) == len(waiting)
        assert all("--codec-endpoint http://127.0.0.1:" in command for command in commands)
        approved = await asyncio.to_thread(
            # As printed, from a fresh terminal (`second_shell_env`: no HITL_ or TEMPORAL_ variables).
            subprocess.run,
            commands[0],
            shell=True,
            env=second_shell_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert approved.returncode == 0, approved.stderr
        # Let it finish before stopping: an activity cut off by Ctrl-C would only be retried after
        # its timeout on the next run (durable, but slower than this test wants to wait).
        keys = load_codec_keys({"HITL_CODEC_KEY_FILE": str(state / "codec-keys")})
        client = await connect(target_host=f"127.0.0.1:{env['HITL_TEMPORAL_PORT']}", codec_keys=keys)
        done = await client.get_workflow_handle(waiting[0], result_type=TaskResult).result()
        assert done.status is TaskStatus.COMPLETED
        # A second shell reaches the stack as the workers' role (no migrator DSN in sight).
        handed_on = read_stack_file(state)
        assert handed_on["HITL_DATABASE_URL"].startswith("postgresql://hitl_worker:"), handed_on
        assert "hitl_migrator" not in " ".join(handed_on.values())
        for command in SECOND_SHELL:
            shell = await asyncio.to_thread(second_shell, command, tmp_path)
            assert shell.returncode == 0, (command, shell.stderr)
            if command == "hitl audit verify":
                assert shell.stdout.startswith("audit chain intact: "), shell.stdout
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
