"""The agent worker: workflows, agent activities, tools and undo, audit writes.

Run with `python -m workers.agent` (the local stack does). Needs `HITL_DATABASE_URL`; migrates
the schema at start.
"""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
from opentelemetry.metrics import MeterProvider
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.agent.activities import AgentActivities
from activities.agent.registry import planners
from activities.autonomy.shadow_store import ShadowStore
from activities.store.audit import AuditActivities
from activities.store.audit_metrics import AuditMetrics
from activities.task_context import TaskContextActivities
from activities.tools.toolset import Toolset
from hitl.clean_exit import run_and_exit
from hitl.client import connect
from hitl.contracts import ToolResult
from hitl.names import AGENT_TASK_QUEUE
from hitl.settings import Settings
from hitl.telemetry import meter
from store.db import create_pool, migrate
from workers.frameworks import framework_client, framework_plugins
from workers.running import GRACEFUL_SHUTDOWN, configure_logging, run_until_stopped, start_telemetry
from workflows.registry import WORKFLOWS

STICKY_TIMEOUT = timedelta(seconds=3)
"""After a worker dies, its workflows move to another worker after this long (default 10 s)."""

SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("hitl", "policies", "pydantic")
)
"""Contracts and pure policy code are shared with the sandbox rather than re-imported per run."""


def tool_activities(pool: asyncpg.Pool) -> list[Callable[..., Awaitable[ToolResult]]]:
    """Every tool and undo activity the workflows in `WORKFLOWS` declare, with `pool`."""
    toolsets: set[type[Toolset]] = {toolset for wf in WORKFLOWS for toolset in wf.toolbox.toolsets}
    return [
        fn for toolset in sorted(toolsets, key=lambda t: t.__qualname__) for fn in toolset(pool).activities()
    ]


def agent_activities(
    pool: asyncpg.Pool, settings: Settings, meter_provider: MeterProvider | None = None
) -> list[Callable[..., Awaitable[Any]]]:
    """The agent worker's activities: agent, task context, audit, shadow verdicts and every tool."""
    agent = AgentActivities(planners(settings))
    context = TaskContextActivities(settings, pool)
    audit = AuditActivities(pool, AuditMetrics(meter(meter_provider)))
    shadow = ShadowStore(pool)
    return [
        agent.propose,
        agent.revise,
        context.load_task_context,
        shadow.record_shadow_verdict,
        audit.record_events,
        *tool_activities(pool),
    ]


def build_agent_worker(
    client: Client,
    pool: asyncpg.Pool,
    settings: Settings,
    *,
    task_queue: str = AGENT_TASK_QUEUE,
    meter_provider: MeterProvider | None = None,
) -> Worker:
    """Build the agent worker with its activities wired to `pool` and `settings`."""
    return Worker(
        framework_client(client),
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=agent_activities(pool, settings, meter_provider),
        workflow_runner=SANDBOX,
        sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        plugins=framework_plugins(settings),
    )


async def main() -> int:
    configure_logging()
    telemetry = start_telemetry("hitl-agent-worker")
    settings = Settings.from_env()
    dsn = settings.require_database()
    await migrate(dsn)
    pool = await create_pool(dsn)
    try:
        client = await connect()
        await run_until_stopped(build_agent_worker(client, pool, settings), telemetry)
    finally:
        await pool.close()
    return 0


if __name__ == "__main__":
    run_and_exit(main())
