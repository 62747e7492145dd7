"""The agent worker: workflows, agent activities, tools and undo, audit writes.

Run with `python -m workers.agent` (the local stack does). Needs `HITL_DATABASE_URL` (the
workers' role). With `HITL_MIGRATOR_DATABASE_URL` it migrates the schema at start; without, it
refuses to start on a schema that is not current (run `hitl db migrate` as the migrator). With
`HITL_AUDIT_KEY_FILE` it signs checkpoints of the evidence chain (docs/security.md).
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from opentelemetry.metrics import MeterProvider
from temporalio.client import Client
from temporalio.worker import Interceptor, UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.agent.activities import AgentActivities
from activities.agent.registry import planners
from activities.autonomy.shadow_store import ShadowStore
from activities.facts.registry import fact_activities
from activities.heartbeat import HeartbeatInterceptor
from activities.store.audit import AuditActivities
from activities.store.audit_metrics import AuditMetrics
from activities.store.checkpointer import Checkpointer
from activities.task_context import TaskContextActivities
from activities.tools.toolset import Toolset
from activities.tools.write_ahead import WriteAheadInterceptor
from hitl.clean_exit import run_and_exit
from hitl.client import connect
from hitl.contracts import ToolResult
from hitl.names import AGENT_TASK_QUEUE
from hitl.settings import AgentWorkerSettings
from hitl.telemetry import meter
from store.db import create_pool, migrate, pending_migrations
from workers.frameworks import framework_client, framework_plugins
from workers.running import GRACEFUL_SHUTDOWN, configure_logging, run_until_stopped, start_telemetry
from workflows.registry import WORKFLOWS

log = logging.getLogger("hitl.agent_worker")


SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "hitl", "policies", "pydantic", "cryptography", "joserfc", "workflows"
    )
)
"""The sandbox, when `HITL_WORKFLOW_SANDBOX` is on, and the replay gate's runner. Contracts, pure
policy code, the workflow code itself and the libraries that verify decisions' proofs are shared
with it rather than re-imported for every workflow run (cryptography's native code must see one
module set), as Temporal advises for deterministic modules in their own files. The sandbox does
not check the module-level imports of modules it passes through; lint does, with what the
sandbox refuses at run time (`workflows/ruff.toml`, applied by `tests/unit/test_workflow_guard.py`
to every module a workflow loads), which is why the workers run without it by default
(docs/performance.md)."""


def workflow_runner(settings: AgentWorkerSettings) -> WorkflowRunner:
    """`SANDBOX` when `HITL_WORKFLOW_SANDBOX` is on, else no sandbox (the default)."""
    return SANDBOX if settings.workflow_sandbox else UnsandboxedWorkflowRunner()


def worker_tuning(settings: AgentWorkerSettings) -> dict[str, Any]:
    """Worker options that decide speed, memory and recovery (docs/performance.md,
    docs/operations.md), shared with the bench's bare worker so that the two are compared on equal
    terms: the workflow runner (`HITL_WORKFLOW_SANDBOX`), the sticky cache's size
    (`HITL_MAX_CACHED_WORKFLOWS`) and how soon a dead worker's workflows move to another worker
    (`HITL_STICKY_SCHEDULE_TO_START_SECONDS`, SDK default 10 s)."""
    return {
        "workflow_runner": workflow_runner(settings),
        "max_cached_workflows": settings.max_cached_workflows,
        "sticky_queue_schedule_to_start_timeout": timedelta(
            seconds=settings.sticky_schedule_to_start_seconds
        ),
        "graceful_shutdown_timeout": GRACEFUL_SHUTDOWN,
    }


def tool_activities(pool: asyncpg.Pool) -> list[Callable[..., Awaitable[ToolResult]]]:
    """Every tool and undo activity the workflows in `WORKFLOWS` declare, with `pool`."""
    toolsets: set[type[Toolset]] = {toolset for wf in WORKFLOWS for toolset in wf.toolbox.toolsets}
    return [
        fn for toolset in sorted(toolsets, key=lambda t: t.__qualname__) for fn in toolset(pool).activities()
    ]


def agent_activities(
    pool: asyncpg.Pool,
    settings: AgentWorkerSettings,
    meter_provider: MeterProvider | None = None,
    checkpointer: Checkpointer | None = None,
    audit: AuditActivities | None = None,
) -> list[Callable[..., Awaitable[Any]]]:
    """The agent worker's activities: agent, task context, facts, audit (`audit`, or one signing
    checkpoints through `checkpointer` when one is given), shadow verdicts and every tool."""
    agent = AgentActivities(planners(settings))
    facts = fact_activities(pool, settings)
    context = TaskContextActivities(settings, pool)
    audit = audit or AuditActivities(pool, AuditMetrics(meter(meter_provider)), checkpointer)
    shadow = ShadowStore(pool)
    return [
        agent.propose,
        agent.revise,
        context.load_task_context,
        facts.establish_facts,
        shadow.record_shadow_verdict,
        audit.record_events,
        *tool_activities(pool),
    ]


def agent_interceptors(audit: AuditActivities) -> list[Interceptor]:
    """Heartbeats for long activities, and the write-ahead audit of tool calls through `audit`
    (`activities.tools.write_ahead`): a worker running the tools must have both."""
    return [HeartbeatInterceptor(), WriteAheadInterceptor(audit.write)]


def build_agent_worker(
    client: Client,
    pool: asyncpg.Pool,
    settings: AgentWorkerSettings,
    *,
    task_queue: str = AGENT_TASK_QUEUE,
    meter_provider: MeterProvider | None = None,
    checkpointer: Checkpointer | None = None,
    workflows: Sequence[type] = WORKFLOWS,
) -> Worker:
    """Build the agent worker with its activities wired to `pool` and `settings`; audit writes
    sign checkpoints through `checkpointer` when one is given. It runs `workflows` (every gated
    workflow in the `workflows` package unless told otherwise)."""
    audit = AuditActivities(pool, AuditMetrics(meter(meter_provider)), checkpointer)
    return Worker(
        framework_client(client),
        task_queue=task_queue,
        workflows=workflows,
        activities=agent_activities(pool, settings, audit=audit),
        interceptors=agent_interceptors(audit),
        plugins=framework_plugins(settings),
        **worker_tuning(settings),
    )


async def main() -> int:
    settings = AgentWorkerSettings.from_env()
    dsn = settings.require_database()
    configure_logging(settings)
    telemetry = start_telemetry(settings, "hitl-agent-worker")
    if settings.migrator_database_url:
        await migrate(settings.migrator_database_url.get_secret_value())
    else:
        pending = await pending_migrations(dsn)
        if pending:
            log.error(
                "the schema is not current (pending: %s): run `hitl db migrate` with the migrator's DSN, "
                "or set HITL_MIGRATOR_DATABASE_URL",
                ", ".join(pending),
            )
            return 1
    pool = await create_pool(dsn)
    checkpoints: asyncio.Task[None] | None = None
    try:
        checkpointer = Checkpointer.from_settings(pool, settings)
        if checkpointer is None:
            log.warning("HITL_AUDIT_KEY_FILE is not set: the audit chain head is not checkpointed")
        else:
            checkpoints = asyncio.create_task(checkpointer.run())
        client = await connect()
        worker = build_agent_worker(client, pool, settings, checkpointer=checkpointer)
        await run_until_stopped(worker, telemetry, settings.health_port)
        if checkpointer is not None:
            try:
                await checkpointer.checkpoint()  # the rows written since the last one
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
                log.warning("no final audit checkpoint: %s", err)
    finally:
        if checkpoints is not None:
            checkpoints.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await checkpoints
        await pool.close()
    return 0


if __name__ == "__main__":
    run_and_exit(main())
