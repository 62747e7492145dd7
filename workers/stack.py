"""The local stack: `make run` starts everything and leaves sample tasks waiting for a reviewer.

Starts the embedded PostgreSQL (migrated by its migrator role; the workers connect as their own
role, and sign audit checkpoints with a key in the state folder), the codec server (payloads are
encrypted: it lets the Web UI and the CLI read them, on :8234), the Temporal dev server (persisted
to one SQLite file, Web UI on :8233 wired to the codec server, HITL search attributes registered),
the agent worker and the notification worker as separate processes, the reviewer inbox (:8235, a
trusted issuer in the stack's policies, demo logins made at its start), then the sample refund
tasks. For each task that waits, it prints the Web UI link and the `temporal workflow signal`
command that approves it (through the codec server), and the inbox's address with a demo login.
Ctrl-C stops every process it started; the state folder keeps tasks (and the payload key) for the
next run. While it runs, the `hitl` CLI finds it through `stack.env` in the state folder
(`hitl.settings.stack_file`).
"""

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from shlex import quote
from typing import Any

from temporalio.client import Client, WorkflowFailureError, WorkflowHandle, WorkflowQueryFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.tools.shop_seed import seed_orders
from hitl.clean_exit import run_and_exit
from hitl.client import STARTED_AS, connect
from hitl.codec import CodecKeys
from hitl.contracts import AgentTaskInput, PendingResult, RequestKind, TaskResult
from hitl.errors import ConfigError
from hitl.names import AGENT_TASK_QUEUE, AGENT_TASK_WORKFLOW, PENDING_QUERY
from hitl.settings import StackSettings
from hitl.settings.stack_file import CLI_VARIABLES, write_stack_file
from policies.parse import snapshot
from store.checkpoints import open_export
from store.db import create_pool
from store.signing import generate_key_file, public_path
from workers.demo_keys import prepare_demo_policies
from workers.framework_samples import FRAMEWORK_WORKFLOWS, framework_tasks, start_demo_model
from workers.local.codec import StackCodec, stack_codec
from workers.local.dev_server import dev_server, start_dev_server
from workers.local.inbox import demo_login, inbox_url, pin_inbox, start_inbox
from workers.local.make_parent import MakeParent
from workers.local.ports import port_in_use, wait_for_port
from workers.local.postgres import EmbeddedPostgres, start_migrated
from workers.local.processes import Child
from workers.running import configure_logging
from workers.samples import DEMO_ORDERS, SAMPLE_ANSWER, reviewer_for, sample_tasks

log = logging.getLogger("hitl.stack")

TEMPORAL_PORT = 7233
UI_PORT = 8233
CODEC_PORT = 8234


class Stack:
    """Every process of the local stack, started in order and stopped in reverse."""

    def __init__(
        self,
        settings: StackSettings,
        *,
        temporal_port: int = TEMPORAL_PORT,
        ui_port: int | None = UI_PORT,
        codec_port: int = CODEC_PORT,
        agent: str | None = None,
        inbox_port: int | None = None,
    ) -> None:
        self.settings = settings
        self.agent = agent
        """Which agent framework's samples to start (`FRAMEWORK_WORKFLOWS`), or None for the default."""
        self.inbox_port = inbox_port
        """Where the reviewer inbox listens; None: no inbox."""
        self.temporal_port = temporal_port
        self.ui_port = ui_port
        self.codec_port = codec_port
        self._codec: StackCodec | None = None
        self.address = f"127.0.0.1:{temporal_port}"
        self.state = settings.state_dir.resolve()
        self.postgres: EmbeddedPostgres | None = None
        self.children: list[Child] = []
        self.stack_file: Path | None = None
        self.policy_dir = settings.policy_dir.resolve()
        """The policies the workers run: a copy with the demo reviewers' keys pinned, once started."""

    async def start(self) -> Client:
        """Start PostgreSQL, the codec server, Temporal, both workers and the inbox; return a
        connected client.

        Raises:
            RuntimeError: A port is taken or a process did not start.
            ConfigError: The environment configures payload keys that do not load.
        """
        for port in (self.temporal_port, self.ui_port, self.codec_port, self.inbox_port):
            if port is not None and port_in_use(port):
                raise RuntimeError(f"port {port} is in use: stop what runs there (another `make run`?)")
        self.state.mkdir(parents=True, exist_ok=True)
        logs = self.state / "logs"
        self._codec = stack_codec(self.state, self.codec_port)
        self.postgres = await start_migrated(self.state / "pg")
        log.info(
            "PostgreSQL ready: workers connect as %s, migrations ran as %s",
            self.postgres.worker_dsn,
            self.postgres.migrator_dsn,
        )
        self._start_codec_server(logs)
        server = dev_server(
            port=self.temporal_port,
            ui_port=self.ui_port,
            db_file=self.state / "temporal.db",
            log_file=logs / "temporal.log",
            ui_codec_endpoint=self.codec.ui_endpoint,
        )
        self.children.append(start_dev_server(server, self.temporal_port))
        # The port opens before the frontend serves: the workers connect once it does.
        client = await _connect_when_healthy(self.address, self.codec.keys)
        log.info("Temporal dev server ready on %s, Web UI %s", self.address, self.ui_url)
        self.policy_dir = prepare_demo_policies(self.settings.policy_dir, self.state)
        log.info("policies with demo reviewer keys pinned: %s", self.policy_dir)
        if self.inbox_port is not None:
            pin_inbox(self.policy_dir, self.state)
        self.worker_env = {
            "TEMPORAL_ADDRESS": self.address,
            "HITL_DATABASE_URL": self.postgres.worker_dsn,
            **self.audit_env(),
            "HITL_OUTBOX": str(self.settings.outbox.resolve()),
            "HITL_UI_URL": self.ui_url,
            "HITL_POLICY_DIR": str(self.policy_dir),
            "HITL_NOTIFY_TASK_QUEUE": self.settings.notify_task_queue,
            **self.codec.key_env,
            **({"HITL_INBOX_URL": inbox_url(self.inbox_port)} if self.inbox_port else {}),
        }
        if self.settings.llm_base_url:
            self.worker_env["HITL_LLM_BASE_URL"] = self.settings.llm_base_url
        elif self.agent is not None:
            model, self.worker_env["HITL_LLM_BASE_URL"] = start_demo_model(logs / "demo-model.log")
            self.children.append(model)
            log.info(
                "scripted demo model at %s (set HITL_LLM_BASE_URL for a real one)",
                self.worker_env["HITL_LLM_BASE_URL"],
            )
        for name, module in (
            ("agent-worker", "workers.agent"),
            ("notification-worker", "workers.notification"),
        ):
            child = Child(name, [sys.executable, "-m", module], logs / f"{name}.log", self.worker_env)
            self.children.append(child.start())
            log.info("%s started (log: %s)", name, child.log_file)
        if self.inbox_port is not None:
            self.children.append(await start_inbox(self.state, self.inbox_port, self.worker_env))
            log.info("reviewer inbox on %s", inbox_url(self.inbox_port))
        self.stack_file = write_stack_file(self.state, self.cli_env())
        return client

    def _start_codec_server(self, logs: Path) -> None:
        child = self.codec.server(self.ui_url, logs / "codec-server.log")
        self.children.append(child.start())
        try:
            wait_for_port(self.codec_port, timeout=30)
        except TimeoutError as err:
            raise RuntimeError(f"the codec server did not start:\n{child.tail()}") from err
        log.info("codec server ready on %s (keys: %s)", self.codec.endpoint, ", ".join(self.codec.keys.ids))

    def cli_env(self) -> dict[str, str]:
        """What the `hitl` CLI in another shell needs (`stack.env`): the address, the workers'
        database role, the policies, the payload key file and the audit checkpoints' public key."""
        env = self.worker_env
        public = self.settings.audit_public_key_file or public_path(Path(env["HITL_AUDIT_KEY_FILE"]))
        return {
            **{name: env[name] for name in CLI_VARIABLES},
            **{name: value for name, value in self.codec.key_env.items() if name == "HITL_CODEC_KEY_FILE"},
            "HITL_AUDIT_PUBLIC_KEY_FILE": str(public),
            "HITL_AUDIT_CHECKPOINT_FILE": env["HITL_AUDIT_CHECKPOINT_FILE"],
            # For a shell that sources the file: the `temporal` CLI reads and sends through the codec.
            "TEMPORAL_CODEC_ENDPOINT": self.codec.endpoint,
            "TEMPORAL_CODEC_AUTH": f"Bearer {self.codec.token}",
        }

    @property
    def codec(self) -> StackCodec:
        """The stack's payload keys and codec server (once `start` has begun)."""
        if self._codec is None:
            raise RuntimeError("the stack has not started")
        return self._codec

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

    @property
    def ui_url(self) -> str:
        """Web UI base URL (the dev server's default when headless, for links only)."""
        return f"http://localhost:{self.ui_port or UI_PORT}"

    def child(self, name: str) -> Child:
        """A started child process by name (`codec-server`, `temporal`, `agent-worker`,
        `notification-worker`)."""
        return next(c for c in self.children if c.name == name)

    def dead_children(self) -> list[Child]:
        """Children that exited on their own."""
        return [c for c in self.children if not c.running]

    def stop(self) -> None:
        """Stop workers, then the server, then PostgreSQL; remove the CLI's `stack.env`."""
        if self.stack_file is not None:
            self.stack_file.unlink(missing_ok=True)
        for child in reversed(self.children):
            child.stop()
        if self.postgres is not None:
            self.postgres.stop()


async def _connect_when_healthy(address: str, keys: CodecKeys, within: float = 30.0) -> Client:
    """Connect once the frontend reports healthy: its port opens a little before it serves
    (`Frontend is not healthy yet`), longer on a loaded machine."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            return await connect(target_host=address, codec_keys=keys)
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
    tasks = sample_tasks() if stack.agent is None else framework_tasks(stack.agent)
    workflow_type = AGENT_TASK_WORKFLOW if stack.agent is None else FRAMEWORK_WORKFLOWS[stack.agent]
    for task in tasks:
        try:
            await client.start_workflow(
                workflow_type,
                task,
                id=task.task_id,
                task_queue=AGENT_TASK_QUEUE,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                static_summary=f"sample refund of {task.subject['amount']:g} on {task.subject['order_id']}",
                search_attributes=STARTED_AS,
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
    # Where `hitl` finds this stack (its address, keys, database) from any folder.
    here = f"HITL_STATE_DIR={quote(str(stack.state))}"
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
        outcome, also = "approve", ""
        if request.kind is RequestKind.QUESTION:
            outcome, also = "answer", f" --answer {quote(SAMPLE_ANSWER)}"
        task_id = quote(task.task_id)
        who = f"{task_id} --request {quote(request.request_id)} --as {quote(reviewer)}{also}"
        sign = f"{here} {hitl} sign {outcome} {who}"
        label = "Approve:" if outcome == "approve" else "Answer: "
        lines += [
            f"  {task.task_id}: WAITING for {', '.join(request.assignees)} - {request.action.summary}",
            f"    Web UI:  {request.ui_url}  (paste the JSON `hitl sign` prints into Send a Signal)",
            f"    {label} {temporal} workflow signal --address {stack.address} {stack.codec.cli_flags()} "
            f'--workflow-id {task_id} --name decide --input "$({sign})"',
            f"    Or:      {here} {hitl} {outcome} {who}",
        ]
    if stack.inbox_port is not None:
        login = demo_login(stack.state, deciders[0] if deciders else "alice")
        lines += ["", f"Reviewer inbox: {inbox_url(stack.inbox_port)}  (demo login: {login})"]
    lines += [
        "",
        f"Demo reviewers sign with the keys in {stack.state / 'reviewer-keys'} (pinned in {stack.policy_dir}).",
        f"The queue: {hitl} inbox",
        f"The audit trail: {hitl} audit verify",
        f"In another shell, `hitl` finds this stack through {stack.stack_file}.",
        f"Payloads are encrypted (key {stack.codec.keys.current}); the codec server {stack.codec.endpoint} "
        "decodes them for the Web UI. For the temporal CLI:",
        f"  {stack.codec.cli_exports()}",
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


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers.stack", description="Run the local stack.")
    parser.add_argument(
        "--agent", choices=sorted(FRAMEWORK_WORKFLOWS), help="samples run by this agent framework"
    )
    args = parser.parse_args(argv)
    settings = StackSettings.from_env()
    configure_logging(settings)
    stack = Stack(
        settings,
        temporal_port=settings.temporal_port,
        ui_port=settings.ui_port,
        codec_port=settings.codec_port,
        agent=args.agent,
        inbox_port=settings.inbox_port,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    make = MakeParent.find()  # `kill -INT <make>` reaches make only: see workers.local.make_parent
    try:
        client = await stack.start()
        tasks = await start_samples(client, stack)
        await report(client, tasks, stack)
        while not stop.is_set():
            if make is not None and make.stopping():
                log.info("make was told to stop")
                break
            dead = stack.dead_children()
            if dead:
                for child in dead:
                    log.error("%s exited; last log lines:\n%s", child.name, child.tail())
                return 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
        log.info("stopping")
        return 0
    except (RuntimeError, ConfigError) as err:
        log.error("%s", err)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    run_and_exit(main())
