"""Sign a decision for the task it goes to: find the reviewer's key, read what to bind it to.

Used by the `hitl` CLI (every decision it sends is signed when the reviewer has a key), by
`hitl sign` (which prints the signed JSON for `temporal workflow signal`) and by batch decisions,
which sign one explicit list of (workflow id, run id, request id, action digest).
"""

import asyncio
import time
from datetime import timedelta

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from hitl.contracts import Decision, PendingResult, ProofTarget
from hitl.names import PENDING_QUERY
from hitl.review.signing import DEFAULT_VALIDITY_SECONDS, find_key, read_key, sign
from hitl.settings import CliSettings

PARALLEL_READS = 32
"""Tasks read at once to bind a batch's decision."""


class NothingToSign(Exception):
    """The task has no open request the decision could be bound to (or more than one)."""


async def target_of(
    client: Client, workflow_id: str, request_id: str | None, rpc_timeout: timedelta | None = None
) -> ProofTarget:
    """The run, request and action digest a decision for `workflow_id` must be bound to now.

    Raises:
        NothingToSign: No open request matches, or several do and none is named.
        temporalio.service.RPCError: Temporal failed (an unknown task is NOT_FOUND).
    """
    handle = client.get_workflow_handle(workflow_id)
    # Read raw: the run id is all we need, and decoding every search attribute can fail on a
    # server that keeps an unset attribute as an empty payload (the time-skipping server).
    description = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    pending: PendingResult = await handle.query(
        PENDING_QUERY, result_type=PendingResult, rpc_timeout=rpc_timeout
    )
    matching = [r for r in pending.requests if request_id in (None, r.request_id)]
    if len(matching) != 1:
        found = ", ".join(r.request_id for r in pending.requests) or "none"
        wanted = f"request {request_id!r}" if request_id else "exactly one open request"
        raise NothingToSign(f"{workflow_id} has no {wanted} to sign for (open: {found})")
    request = matching[0]
    return ProofTarget(
        workflow_id=workflow_id,
        run_id=description.workflow_execution_info.execution.run_id,
        request_id=request.request_id,
        action_digest=request.action_digest,
    )


async def signed_for(
    client: Client,
    settings: CliSettings,
    workflow_ids: list[str],
    decision: Decision,
    validity: int = DEFAULT_VALIDITY_SECONDS,
    rpc_timeout: timedelta | None = None,
) -> tuple[Decision, list[str]]:
    """`decision` signed with its reviewer's key for these tasks, and the tasks it could not be
    bound to (no single open request: the gate then answers the unsigned decision, for example
    that the task has ended). Unsigned when the reviewer has no key.

    With one task the decision names its request; with several (a batch) it names none and the
    proof lists each task's request. Each task is read (its run and its own `pending` answer),
    several at once; never its memo, which whoever starts a workflow can set.

    Raises:
        hitl.errors.ConfigError: The key file cannot be read.
    """
    path = find_key(decision.reviewer, settings.reviewer_key, settings.reviewer_key_dir, settings.state_dir)
    if path is None:
        return decision, []
    key = read_key(path)
    gate = asyncio.Semaphore(PARALLEL_READS)

    async def one(workflow_id: str) -> ProofTarget | None:
        async with gate:
            try:
                return await target_of(client, workflow_id, decision.request_id, rpc_timeout)
            except NothingToSign:
                return None
            except RPCError as err:
                if err.status is not RPCStatusCode.NOT_FOUND:
                    raise
                return None  # no such task: the gate's answer says so

    found = await asyncio.gather(*(one(w) for w in workflow_ids))
    targets = [t for t in found if t is not None]
    skipped = [w for w, t in zip(workflow_ids, found, strict=True) if t is None]
    if not targets:
        return decision, skipped
    if len(workflow_ids) == 1:
        decision = decision.model_copy(update={"request_id": targets[0].request_id})
    return sign(decision, key, client.namespace, targets, int(time.time()) + validity), skipped


async def sign_as_reviewer(client: Client, workflow_id: str, decision: Decision) -> Decision:
    """`decision` signed with its reviewer's key and bound to the task's open request, as the `hitl`
    CLI signs: the key is `HITL_REVIEWER_KEY`, else `<reviewer>.key` in `HITL_REVIEWER_KEY_DIR`, else
    the local stack's demo keys. Unchanged when no key is found (the gate then refuses it where
    the policy requires a verified decision)."""
    signed, _ = await signed_for(client, CliSettings.from_env(), [workflow_id], decision)
    return signed
