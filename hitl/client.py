"""Client helpers for services: connect, start a gated workflow, wait for its review, decide.

```python
client = await connect()
handle = await start(client, AgentTaskWorkflow, AgentTaskInput(task_id="refund-42", kind="refund",
                                                              requester="svc-support", subject={...}))
```
"""

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from opentelemetry.trace import TracerProvider
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowQueryFailedError
from temporalio.common import HeaderCodecBehavior, WorkflowIDConflictPolicy
from temporalio.envconfig import ClientConfig
from temporalio.service import RPCError

from hitl.codec import CodecKeys, encrypted_data_converter
from hitl.contracts import (
    AgentTaskInput,
    Decision,
    DecisionReceipt,
    GatedInput,
    PendingResult,
    ReviewRequest,
    TaskResult,
)
from hitl.names import AGENT_TASK_QUEUE, AGENT_TASK_WORKFLOW, DECIDE, PENDING_QUERY
from hitl.telemetry import tracing_interceptor

DEFAULT_ADDRESS = "localhost:7233"

REVIEW_POLL = 0.2
"""Seconds between `pending` queries while `wait_for_review` waits."""


def connect_config(profile: str | None = None) -> dict[str, Any]:
    """Connection settings from `temporalio.envconfig` (TOML profile and `TEMPORAL_*` variables),
    with the local dev server as the default address."""
    config: dict[str, Any] = dict(ClientConfig.load_client_connect_config(profile=profile))
    config.setdefault("target_host", DEFAULT_ADDRESS)
    return config


async def connect(
    profile: str | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    codec_keys: CodecKeys | None = None,
    **overrides: Any,
) -> Client:
    """Connect with the data converter every HITL payload needs (pydantic values, AES-GCM
    encrypted payloads: `hitl.codec`) and the SDK's tracing interceptor (client spans; workers
    built from this client get workflow and activity spans).

    Payload keys are `codec_keys`, or those the environment configures (`HITL_CODEC_KEYS` or
    `HITL_CODEC_KEY_FILE`). Spans go to `tracer_provider`, or to the global provider: a no-op
    one unless the process configured OpenTelemetry (`hitl.telemetry`).

    Raises:
        hitl.errors.ConfigError: No payload key is configured, or a key is malformed.
    """
    converter = encrypted_data_converter(codec_keys)
    config = {**connect_config(profile), **overrides}
    interceptors = [tracing_interceptor(tracer_provider), *config.pop("interceptors", [])]
    # Headers too (tracing contexts, agent-framework spans) go through the codec: nothing in
    # history is in the clear but what the server must read.
    config.setdefault("header_codec_behavior", HeaderCodecBehavior.CODEC)
    return await Client.connect(data_converter=converter, interceptors=interceptors, **config)


async def start(
    client: Client,
    workflow: type[Any],
    request: GatedInput,
    *,
    task_queue: str = AGENT_TASK_QUEUE,
) -> WorkflowHandle[Any, TaskResult]:
    """Start any gated workflow by its class, with its input; the workflow id is the task id.

    Starting a task id that is already running returns the running task (a retried request
    from a service does not start it twice).

    Args:
        client: From `connect()`.
        workflow: A `GatedWorkflow` subclass (its `run` method is started).
        request: Its input; `request.as_task()` names the task.
        task_queue: The agent worker's task queue.
    """
    task = request.as_task()
    handle: WorkflowHandle[Any, TaskResult] = await client.start_workflow(
        workflow.run,
        request,
        id=task.task_id,
        task_queue=task_queue,
        result_type=TaskResult,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"{task.kind} task for {task.requester}",
    )
    return handle


async def start_task(
    client: Client,
    task: AgentTaskInput,
    *,
    task_queue: str = AGENT_TASK_QUEUE,
) -> WorkflowHandle[Any, TaskResult]:
    """Start an agent task by workflow type name, for services that do not import workflow code
    (otherwise `start(client, AgentTaskWorkflow, task)` does the same)."""
    return await client.start_workflow(
        AGENT_TASK_WORKFLOW,
        task,
        id=task.task_id,
        task_queue=task_queue,
        result_type=TaskResult,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"{task.kind} task for {task.requester}",
    )


async def decide(client: Client, workflow_id: str, decision: Decision) -> DecisionReceipt:
    """Send a decision as an update and return the workflow's answer.

    Raises:
        temporalio.client.WorkflowUpdateFailedError: The gate refused the decision; the cause
            is an `ApplicationError` whose `type` is the refusal code.
    """
    handle = client.get_workflow_handle(workflow_id)
    receipt: DecisionReceipt = await handle.execute_update(DECIDE, decision, result_type=DecisionReceipt)
    return receipt


async def wait_for_review(
    handle: WorkflowHandle[Any, Any], *, within: timedelta = timedelta(minutes=1)
) -> ReviewRequest | None:
    """Wait until the task asks a human and return its first open request; None when the task
    ends without asking.

    Reviewers learn of a request from its notice; this is for a service or a script that acts
    right after starting a task. It reads the `pending` query, which the task's worker answers.

    Raises:
        TimeoutError: The task neither asked nor ended `within`.
    """
    async with asyncio.timeout(within.total_seconds()):
        while True:
            with contextlib.suppress(WorkflowQueryFailedError, RPCError):  # not picked up yet
                pending: PendingResult = await handle.query(PENDING_QUERY, result_type=PendingResult)
                if pending.requests:
                    return pending.requests[0]
            if (await handle.describe()).status is not WorkflowExecutionStatus.RUNNING:
                return None
            await asyncio.sleep(REVIEW_POLL)
