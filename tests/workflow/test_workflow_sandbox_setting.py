"""`HITL_WORKFLOW_SANDBOX`: the agent worker runs workflow code without the SDK's sandbox unless
told otherwise (every other workflow test runs that way); with `1` it runs in the sandbox, with
the framework plugins' pass-through lists added: a gated refund waits, takes a signed approval
and runs once with its trail written ahead, and so do a LangGraph and an OpenAI Agents refund."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from hitl.contracts import Decision, Outcome, StepStatus, TaskStatus
from hitl.names import DECIDE
from hitl.settings.groups import WorkflowRunnerSettings
from tests.support import WorkersSettings, settings_for, unique
from tests.workflow.conftest import Harness, harness_with
from tests.workflow.framework_support import FrameworkHarness, approve_scenario, framework_harness
from tests.workflow.test_refund_gate import audit_kinds, refunds_of
from workers.agent import build_agent_worker
from workflows.langgraph_refund import LangGraphRefundWorkflow
from workflows.openai_agents_refund import OpenAIAgentsRefundWorkflow


def sandboxed(tmp_path: Path) -> WorkersSettings:
    settings = settings_for(tmp_path, unique("notify"))
    return settings.model_copy(update={"workflow_sandbox": True})


def test_the_sandbox_is_off_unless_the_environment_turns_it_on() -> None:
    assert WorkflowRunnerSettings.from_env({}).workflow_sandbox is False
    assert WorkflowRunnerSettings.from_env({"HITL_WORKFLOW_SANDBOX": "1"}).workflow_sandbox is True


async def test_the_setting_chooses_the_runner_the_plugins_keep(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    default = build_agent_worker(
        ts_env.client, pool, settings_for(tmp_path, unique("notify")), task_queue=unique("tq")
    )
    assert type(default.config(active_config=True)["workflow_runner"]) is UnsandboxedWorkflowRunner

    worker = build_agent_worker(ts_env.client, pool, sandboxed(tmp_path), task_queue=unique("tq"))
    runner = worker.config(active_config=True)["workflow_runner"]
    assert isinstance(runner, SandboxedWorkflowRunner)
    # Ours, and what the LangGraph and OpenAI Agents plugins add once they have seen the runner.
    assert {
        "workflows",
        "hitl",
        "policies",
        "langgraph",
        "agents",
        "openai",
    } <= runner.restrictions.passthrough_modules


@pytest.fixture
async def sandbox_harness(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Harness]:
    """The workflow tests' harness with the agent worker's sandbox on."""
    async with harness_with(ts_env, pool, sandboxed(tmp_path), request) as harness:
        yield harness


async def test_a_gated_refund_runs_once_after_approval_in_the_sandbox(sandbox_harness: Harness) -> None:
    harness = sandbox_harness
    handle = await harness.refund_task(250)
    pending = await harness.wait_pending(handle)
    assert pending.requests[0].assignees == ["support-leads"]

    await handle.signal(
        DECIDE, await harness.sign(handle, Decision(outcome=Outcome.APPROVE, reviewer="alice"))
    )
    result = await handle.result()

    assert result.status is TaskStatus.COMPLETED
    refund = result.steps[1]
    assert (refund.tool, refund.status, refund.decided_by) == ("issue_refund", StepStatus.EXECUTED, "alice")
    assert [tuple(r) for r in await refunds_of(harness.pool, handle)] == [(250, "issued")]
    kinds = await audit_kinds(harness.pool, handle.id)
    assert kinds.index("gated") < kinds.index("decision_accepted") < kinds.index("executed", 4)
    assert kinds[-1] == "task_finished"


@pytest.fixture
async def sandboxed_frameworks(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[FrameworkHarness]:
    """The framework workers with the sandbox on."""
    async with framework_harness(ts_env, pool, tmp_path, request.node, sandbox=True) as harness:
        yield harness


@pytest.mark.parametrize("workflow", [LangGraphRefundWorkflow, OpenAIAgentsRefundWorkflow])
async def test_a_framework_refund_is_approved_and_runs_in_the_sandbox(
    sandboxed_frameworks: FrameworkHarness, workflow: type[Any]
) -> None:
    await approve_scenario(sandboxed_frameworks, workflow)
