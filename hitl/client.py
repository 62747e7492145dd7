"""Client helpers for services: connect, start a gated workflow, wait for its review, decide.

```python
client = await connect()
handle = await start(client, AgentTaskWorkflow, AgentTaskInput(task_id="refund-42", kind="refund",
                                                              requester="svc-support", subject={...}),
                     requester_key=read_key(Path("svc-support.key")))   # optional: a verified start
```

With `requester_key`, the start carries a requester proof (`sign_start`): the workflow verifies it
against the keys pinned in the policy and records the requester as verified (docs/identity.md).
"""

import asyncio
import contextlib
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from opentelemetry.trace import TracerProvider
from temporalio.client import (
    Client,
    Interceptor,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    HeaderCodecBehavior,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
)
from temporalio.envconfig import ClientConfig
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from hitl import search_attributes as sa
from hitl.codec import CodecKeys, encrypted_data_converter
from hitl.contracts import (
    AgentTaskInput,
    Decision,
    DecisionReceipt,
    GatedInput,
    PendingResult,
    RequesterProof,
    ReviewRequest,
    TaskResult,
)
from hitl.names import AGENT_TASK_QUEUE, AGENT_TASK_WORKFLOW, DECIDE, NOT_READY, PENDING_QUERY
from hitl.telemetry import tracing_configured, tracing_interceptor
from policies.identity import public_key_text
from policies.proof import signature_text
from policies.requester_proof import input_digest, start_bytes

Input = TypeVar("Input", bound=GatedInput)

START_VALIDITY_SECONDS = 300
"""How long a signed start counts: the workflow checks it against the time its start was accepted.
Short, because a task id may be started again once its run has ended."""

DEFAULT_ADDRESS = "localhost:7233"

REVIEW_POLL = 0.2
"""Seconds between `pending` queries while `wait_for_review` waits."""
NOT_READY_ATTEMPTS = 5
"""Times `decide` sends a decision that a run still starting refused as `not_ready`."""
NOT_READY_PAUSE = 0.5


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
    encrypted payloads: `hitl.codec`) and, when spans go somewhere (`tracer_provider`, or a global
    provider set before this call: `hitl.telemetry.tracing_configured`), the SDK's tracing
    interceptor (client spans; workers built from this client get workflow and activity spans).

    Payload keys are `codec_keys`, or those the environment configures (`HITL_CODEC_KEYS` or
    `HITL_CODEC_KEY_FILE`). Spans go to `tracer_provider`, or to the global provider: a no-op
    one unless the process configured OpenTelemetry (`hitl.telemetry`).

    Raises:
        hitl.errors.ConfigError: No payload key is configured, or a key is malformed.
    """
    converter = encrypted_data_converter(codec_keys)
    config = {**connect_config(profile), **overrides}
    interceptors = interceptors_for(tracer_provider, config.pop("interceptors", []))
    # Headers too (tracing contexts, agent-framework spans) go through the codec: nothing in
    # history is in the clear but what the server must read.
    config.setdefault("header_codec_behavior", HeaderCodecBehavior.CODEC)
    return await Client.connect(data_converter=converter, interceptors=interceptors, **config)


def interceptors_for(
    tracer_provider: TracerProvider | None, extra: Sequence[Interceptor]
) -> list[Interceptor]:
    """The client's interceptors: the SDK's tracing one first when spans go somewhere, then `extra`."""
    tracing = [tracing_interceptor(tracer_provider)] if tracer_provider or tracing_configured() else []
    return [*tracing, *extra]


def sign_start(
    request: Input,
    key: Ed25519PrivateKey,
    *,
    namespace: str,
    workflow_type: str,
    expires_at: int | None = None,
) -> Input:
    """`request` with a requester proof: signed by the requester's key for this namespace,
    workflow id (the task id) and type, and task input, until `expires_at` (Unix seconds;
    default `START_VALIDITY_SECONDS` from now)."""
    task = request.as_task()
    unsigned = request.model_copy(update={"requester_proof": None})
    proof = RequesterProof(
        namespace=namespace,
        workflow_id=task.task_id,
        workflow_type=workflow_type,
        input_digest=input_digest(unsigned),
        expires_at=int(time.time()) + START_VALIDITY_SECONDS if expires_at is None else expires_at,
        key=public_key_text(key),
        signature="",
    )
    signed = proof.model_copy(
        update={"signature": signature_text(key.sign(start_bytes(proof, task.requester, task.kind)))}
    )
    return unsigned.model_copy(update={"requester_proof": signed})


STARTED_AS = TypedSearchAttributes([SearchAttributePair(sa.HITL_STATUS, sa.RUNNING)])
"""A task is listed as running from its start: its first workflow task then has no status to
upsert (it upserts only what differs; a start that names another status is corrected there)."""


async def start(
    client: Client,
    workflow: type[Any],
    request: GatedInput,
    *,
    task_queue: str = AGENT_TASK_QUEUE,
    requester_key: Ed25519PrivateKey | None = None,
) -> WorkflowHandle[Any, TaskResult]:
    """Start any gated workflow by its class, with its input; the workflow id is the task id.

    Starting a task id that is already running returns the running task (a retried request
    from a service does not start it twice).

    Args:
        client: From `connect()`.
        workflow: A `GatedWorkflow` subclass (its `run` method is started).
        request: Its input; `request.as_task()` names the task.
        task_queue: The agent worker's task queue.
        requester_key: The requester's private key: the start is signed (`sign_start`).
    """
    task = request.as_task()
    if requester_key is not None:
        workflow_type = getattr(workflow, "__temporal_workflow_definition").name
        request = sign_start(request, requester_key, namespace=client.namespace, workflow_type=workflow_type)
    handle: WorkflowHandle[Any, TaskResult] = await client.start_workflow(
        workflow.run,
        request,
        id=task.task_id,
        task_queue=task_queue,
        result_type=TaskResult,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"{task.kind} task for {task.requester}",
        search_attributes=STARTED_AS,
    )
    return handle


async def start_task(
    client: Client,
    task: AgentTaskInput,
    *,
    task_queue: str = AGENT_TASK_QUEUE,
    requester_key: Ed25519PrivateKey | None = None,
) -> WorkflowHandle[Any, TaskResult]:
    """Start an agent task by workflow type name, for services that do not import workflow code
    (otherwise `start(client, AgentTaskWorkflow, task)` does the same); signed with
    `requester_key` when given."""
    if requester_key is not None:
        task = sign_start(task, requester_key, namespace=client.namespace, workflow_type=AGENT_TASK_WORKFLOW)
    return await client.start_workflow(
        AGENT_TASK_WORKFLOW,
        task,
        id=task.task_id,
        task_queue=task_queue,
        result_type=TaskResult,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"{task.kind} task for {task.requester}",
        search_attributes=STARTED_AS,
    )


async def decide(client: Client, workflow_id: str, decision: Decision) -> DecisionReceipt:
    """Send a decision as an update and return the workflow's answer.

    A task that is starting a run (it continued as new a moment ago) refuses an update as
    `not_ready` before anything is recorded; the decision is sent again, a few times.

    Raises:
        temporalio.client.WorkflowUpdateFailedError: The gate refused the decision; the cause
            is an `ApplicationError` whose `type` is the refusal code.
    """
    handle = client.get_workflow_handle(workflow_id)
    attempt = 1
    while True:
        try:
            receipt: DecisionReceipt = await handle.execute_update(
                DECIDE, decision, result_type=DecisionReceipt
            )
            return receipt
        except WorkflowUpdateFailedError as err:
            not_ready = isinstance(err.cause, ApplicationError) and err.cause.type == NOT_READY
            if not not_ready or attempt == NOT_READY_ATTEMPTS:
                raise
        attempt += 1
        await asyncio.sleep(NOT_READY_PAUSE)


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
