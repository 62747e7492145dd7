"""The local stack: `make run` starts everything and leaves sample tasks waiting for a reviewer.

Starts the embedded PostgreSQL (migrated by its migrator role; the workers connect as their own
role, and sign audit checkpoints with a key in the state folder), the Temporal dev server (persisted to one SQLite file,
Web UI on :8233, HITL search attributes registered), the agent worker and the notification
worker as separate processes, the reviewer inbox (:8235, demo logins made at its start), then the
sample refund tasks. For each task that waits, it prints the Web UI link and the `temporal
workflow signal` command that approves it, and the inbox's address with a demo login. Ctrl-C stops every
process it started; the state folder keeps tasks for the next run.
"""

import asyncio
import contextlib
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowFailureError, WorkflowHandle, WorkflowQueryFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.tools.shop_seed import seed_orders
from hitl.clean_exit import run_and_exit
from hitl.client import connect
from hitl.contracts import AgentTaskInput, PendingResult, TaskResult
from hitl.names import AGENT_TASK_QUEUE, AGENT_TASK_WORKFLOW, PENDING_QUERY
from hitl.settings import StackSettings
from policies.parse import snapshot
from store.checkpoints import open_export
from store.db import create_pool
from store.signing import generate_key_file, public_path
from workers.local.dev_server import dev_server, start_dev_server
from workers.local.inbox import demo_login, inbox_url, start_inbox
from workers.local.ports import port_in_use
from workers.local.postgres import EmbeddedPostgres, start_migrated
from workers.local.processes import Child
from workers.running import configure_logging
from workers.samples import DEMO_ORDERS, reviewer_for, sample_tasks

log = logging.getLogger("hitl.stack")

TEMPORAL_PORT = 7233
UI_PORT = 8233


class Stack:
    """Every process of the local stack, started in order and stopped in reverse."""

    def __init__(
        self,
        settings: StackSettings,
        *,
        temporal_port: int = TEMPORAL_PORT,
        ui_port: int | None = UI_PORT,
        inbox_port: int | None = None,
    ) -> None:
        self.settings = settings
        self.inbox_port = inbox_port
        """Where the reviewer inbox listens; None: no inbox."""
        self.temporal_port = temporal_port
        self.ui_port = ui_port
        self.address = f"127.0.0.1:{temporal_port}"
        self.state = settings.state_dir.resolve()
        self.postgres: EmbeddedPostgres | None = None
        self.children: list[Child] = []

    async def start(self) -> Client:
        """Start PostgreSQL, Temporal and both workers; return a connected client."""
        for port in (self.temporal_port, self.ui_port, self.inbox_port):
            if port is not None and port_in_use(port):
                raise RuntimeError(f"port {port} is in use: stop what runs there (another `make run`?)")
        self.state.mkdir(parents=True, exist_ok=True)
        logs = self.state / "logs"
        self.postgres = await start_migrated(self.state / "pg")
        log.info(
            "PostgreSQL ready: workers connect as %s, migrations ran as %s",
            self.postgres.worker_dsn,
            self.postgres.migrator_dsn,
        )
        server = dev_server(
            port=self.temporal_port,
            ui_port=self.ui_port,
            db_file=self.state / "temporal.db",
            log_file=logs / "temporal.log",
        )
        self.children.append(start_dev_server(server, self.temporal_port))
        log.info("Temporal dev server ready on %s, Web UI %s", self.address, self.ui_url)
        self.worker_env = {
            "TEMPORAL_ADDRESS": self.address,
            "HITL_DATABASE_URL": self.postgres.worker_dsn,
            **self.audit_env(),
            "HITL_OUTBOX": str(self.settings.outbox.resolve()),
            "HITL_UI_URL": self.ui_url,
            "HITL_POLICY_DIR": str(self.settings.policy_dir.resolve()),
            "HITL_NOTIFY_TASK_QUEUE": self.settings.notify_task_queue,
            **({"HITL_INBOX_URL": inbox_url(self.inbox_port)} if self.inbox_port else {}),
        }
        for name, module in (
            ("agent-worker", "workers.agent"),
            ("notification-worker", "workers.notification"),
        ):
            child = Child(name, [sys.executable, "-m", module], logs / f"{name}.log", self.worker_env)
            self.children.append(child.start())
            log.info("%s started (log: %s)", name, child.log_file)
        client = await _connect_when_healthy(self.address)
        if self.inbox_port is not None:
            self.children.append(await start_inbox(self.state, self.inbox_port, self.worker_env))
            log.info("reviewer inbox on %s", inbox_url(self.inbox_port))
        return client

    def audit_env(self) -> dict[str, str]:
        """Checkpoint settings of the workers: the signing key (made on first start unless
        HITL_AUDIT_KEY_FILE names one) and the export file, in the state folder."""
        key = self.settings.audit_key_file or self.state / "audit-signing-key.pem"
        if not key.exists():
            generate_key_file(key)
            log.info("made the audit checkpoint signing key %s", key)
        export = self.settings.audit_checkpoint_file or self.state / "audit-checkpoints.jsonl"
        open_export(export)
        return {
            "HITL_AUDIT_KEY_FILE": str(key.resolve()),
            "HITL_AUDIT_CHECKPOINT_FILE": str(export.resolve()),
            "HITL_AUDIT_CHECKPOINT_EVERY": str(self.settings.audit_checkpoint_every),
            "HITL_AUDIT_CHECKPOINT_SECONDS": str(self.settings.audit_checkpoint_seconds),
        }

    def verify_command(self) -> str:
        """The `hitl audit verify` command line for this stack (public key only: no signing)."""
        env = self.worker_env
        public = self.settings.audit_public_key_file or public_path(Path(env["HITL_AUDIT_KEY_FILE"]))
        hitl = Path(sys.executable).parent / "hitl"
        return (
            f"HITL_DATABASE_URL='{env['HITL_DATABASE_URL']}' HITL_AUDIT_PUBLIC_KEY_FILE={public} "
            f"HITL_AUDIT_CHECKPOINT_FILE={env['HITL_AUDIT_CHECKPOINT_FILE']} {hitl} audit verify"
        )

    @property
    def ui_url(self) -> str:
        """Web UI base URL (the dev server's default when headless, for links only)."""
        return f"http://localhost:{self.ui_port or UI_PORT}"

    def child(self, name: str) -> Child:
        """A started child process by name (`temporal`, `agent-worker`, `notification-worker`)."""
        return next(c for c in self.children if c.name == name)

    def dead_children(self) -> list[Child]:
        """Children that exited on their own."""
        return [c for c in self.children if not c.running]

    def stop(self) -> None:
        """Stop workers, then the server, then PostgreSQL."""
        for child in reversed(self.children):
            child.stop()
        if self.postgres is not None:
            self.postgres.stop()


async def _connect_when_healthy(address: str, within: float = 30.0) -> Client:
    """Connect once the frontend reports healthy: its port opens a little before it serves
    (`Frontend is not healthy yet`), longer on a loaded machine."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            return await connect(target_host=address)
        except RuntimeError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def start_samples(client: Client, stack: Stack) -> list[AgentTaskInput]:
    """Seed demo orders and start the sample tasks that are not started yet."""
    assert stack.postgres is not None
    pool = await create_pool(stack.postgres.worker_dsn, max_size=2)
    try:
        await seed_orders(pool, DEMO_ORDERS)
    finally:
        await pool.close()
    tasks = sample_tasks()
    for task in tasks:
        try:
            await client.start_workflow(
                AGENT_TASK_WORKFLOW,
                task,
                id=task.task_id,
                task_queue=AGENT_TASK_QUEUE,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                static_summary=f"sample refund of {task.subject['amount']:g} on {task.subject['order_id']}",
            )
            log.info("started %s", task.task_id)
        except WorkflowAlreadyStartedError:
            log.info("%s exists from an earlier run", task.task_id)
    return tasks


async def report(client: Client, tasks: list[AgentTaskInput], stack: Stack) -> None:
    """Wait until each sample finished or waits, then print how to decide the waiting ones."""
    settings = stack.settings
    policy = snapshot((settings.policy_dir / "refund.toml").read_text(), "refund.toml").policy
    temporal = Path(sys.executable).parent / "temporal"
    hitl = Path(sys.executable).parent / "hitl"
    lines = ["", "Sample refund tasks:"]
    deciders: list[str] = []
    for task in tasks:
        handle = client.get_workflow_handle(task.task_id, result_type=TaskResult)
        state = await _settle(handle)
        if isinstance(state, TaskResult):
            deciders = sorted({s.decided_by for s in state.steps if s.decided_by})
            how = f"decided by {', '.join(deciders)}" if deciders else "on its own"
            lines.append(f"  {task.task_id}: {state.status.value} ({how})")
            continue
        if state is None:
            lines.append(f"  {task.task_id}: still running (see the Web UI)")
            continue
        request = state.requests[0]
        reviewer = reviewer_for(request, policy) or "alice"
        deciders.append(reviewer)
        payload = json.dumps(
            {"request_id": request.request_id, "outcome": "approve", "reviewer": reviewer},
            separators=(",", ":"),
        )
        lines += [
            f"  {task.task_id}: WAITING for {', '.join(request.assignees)} - {request.action.summary}",
            f"    Web UI:  {request.ui_url}",
            f"    Approve: {temporal} workflow signal --address {stack.address} "
            f"--workflow-id {task.task_id} --name decide --input '{payload}'",
            f"    Or:      TEMPORAL_ADDRESS={stack.address} {hitl} approve {task.task_id} --as {reviewer}",
        ]
    if stack.inbox_port is not None:
        login = demo_login(stack.state, deciders[0] if deciders else "alice")
        lines += ["", f"Reviewer inbox: {inbox_url(stack.inbox_port)}  (demo login: {login})"]
    lines += [
        "",
        f"The queue: TEMPORAL_ADDRESS={stack.address} {hitl} inbox",
        f"The audit trail: {stack.verify_command()}",
        f"Notices go to {settings.outbox}. Press Ctrl-C to stop everything.",
        "",
    ]
    print("\n".join(lines), flush=True)


async def _settle(handle: WorkflowHandle[Any, TaskResult]) -> TaskResult | PendingResult | None:
    for _ in range(200):
        description = await handle.describe()
        if description.status is not None and description.status.name != "RUNNING":
            try:
                return await handle.result()
            except WorkflowFailureError:
                return None
        pending: PendingResult | None = None
        with contextlib.suppress(RPCError, WorkflowQueryFailedError):
            # The worker may not have picked the task up yet.
            pending = await handle.query(PENDING_QUERY, result_type=PendingResult)
        if pending is not None and pending.requests:
            return pending
        await asyncio.sleep(0.1)
    return None


async def main() -> int:
    settings = StackSettings.from_env()
    configure_logging(settings)
    stack = Stack(
        settings,
        temporal_port=settings.temporal_port,
        ui_port=settings.ui_port,
        inbox_port=settings.inbox_port,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        client = await stack.start()
        tasks = await start_samples(client, stack)
        await report(client, tasks, stack)
        while not stop.is_set():
            dead = stack.dead_children()
            if dead:
                for child in dead:
                    log.error("%s exited; last log lines:\n%s", child.name, child.tail())
                return 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
        log.info("stopping")
        return 0
    except RuntimeError as err:
        log.error("%s", err)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    run_and_exit(main())
