"""`make run AGENT=openai_agents|langgraph`: the stack runs that framework's sample refunds against
the scripted demo model, prints how to decide the waiting ones, and the printed command works."""

import asyncio
import re
import signal
import subprocess
from pathlib import Path

import pytest

from hitl.client import connect
from hitl.codec import load_codec_keys
from hitl.contracts import StepStatus, TaskResult, TaskStatusView
from hitl.names import STATUS_QUERY
from tests.integration.make_run import StackRun, all_stopped, second_shell_env, stack_env
from tests.support import assert_eventually

pytestmark = pytest.mark.integration


async def run_sample(tmp_path: Path, agent: str) -> dict[str, str]:
    """Start the stack with `--agent`, approve the gated refund as printed; returns the status lines."""
    state = tmp_path / "state"
    env = stack_env(state)
    env.pop("HITL_LLM_BASE_URL", None)
    run = await StackRun.start(env, tmp_path / "stack.log", f"AGENT={agent}")
    try:
        found = (re.match(rf"^  (demo-{agent}-\d): (.*)$", line) for line in run.lines)
        statuses = {m.group(1): m.group(2) for m in found if m}
        gated = f"demo-{agent}-2"
        command = next(
            line.split("Approve: ", 1)[1].strip() for line in run.lines if f"--workflow-id {gated} " in line
        )
        approved = await asyncio.to_thread(
            # As printed, from a fresh terminal (`second_shell_env`: no HITL_ or TEMPORAL_ variables).
            subprocess.run,
            command,
            shell=True,
            env=second_shell_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert approved.returncode == 0, approved.stderr
        keys = load_codec_keys({"HITL_CODEC_KEY_FILE": str(state / "codec-keys")})
        client = await connect(target_host=f"127.0.0.1:{env['HITL_TEMPORAL_PORT']}", codec_keys=keys)
        handle = client.get_workflow_handle(gated, result_type=TaskResult)
        # The approved refund runs (what follows may wait for reviews of its own on a fresh demo,
        # where no human decision has calibrated the agent's confidence yet).
        view = await assert_eventually(
            lambda: handle.query(STATUS_QUERY, result_type=TaskStatusView),
            lambda v: ("issue_refund", StepStatus.EXECUTED) in [(s.tool, s.status) for s in v.steps],
            within=90,
        )
        assert [(s.tool, s.status, s.decided_by) for s in view.steps][:2] == [
            ("lookup_order", StepStatus.EXECUTED, None),
            ("issue_refund", StepStatus.EXECUTED, "alice"),
        ]
    finally:
        assert await run.stop(signal.SIGINT) == -signal.SIGINT
    await all_stopped(state)
    return statuses


async def test_make_run_openai_agents(tmp_path: Path) -> None:
    statuses = await run_sample(tmp_path, "openai_agents")
    # No human decision has calibrated the agent's confidence yet: the small refund waits too.
    assert statuses["demo-openai_agents-1"].startswith("WAITING for support-leads - issue_refund("), statuses
    assert statuses["demo-openai_agents-2"].startswith("WAITING for support-leads - issue_refund(")


async def test_make_run_langgraph(tmp_path: Path) -> None:
    statuses = await run_sample(tmp_path, "langgraph")
    # No human decision has calibrated the agent's confidence yet: the small refund waits too
    # (once it runs, the graph's own review interrupt stops its email at the same gate).
    assert sorted(statuses) == ["demo-langgraph-1", "demo-langgraph-2"]
    assert all(s.startswith("WAITING for support-leads - issue_refund(") for s in statuses.values()), statuses
