"""Decide many requests at once with Temporal's batch signal, and report each task's answer.

A batch signal cannot answer, so the report comes from each task: a finished task's result lists
the decisions it answered (read from history, no worker involved); a running one answers its
`status` query. The decision (found by its `decision_id`) is either among the applied decisions
or among the refusals with the gate's code. The same `decision_id` goes to every task: if the batch is run
again with it (or Temporal's batcher retries a signal), each task applies it once.
"""

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio.api.batch.v1 import BatchOperationSignal
from temporalio.api.common.v1 import Payloads, WorkflowExecution
from temporalio.api.enums.v1 import BatchOperationState
from temporalio.api.enums.v1.workflow_pb2 import WORKFLOW_EXECUTION_STATUS_COMPLETED
from temporalio.api.workflowservice.v1 import (
    DescribeBatchOperationRequest,
    DescribeBatchOperationResponse,
    DescribeWorkflowExecutionRequest,
    StartBatchOperationRequest,
)
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.service import RPCError

from hitl.contracts import Decision, DecisionAnswer, TaskResult, TaskStatusView
from hitl.contracts.base import Contract
from hitl.contracts.task import answers_of
from hitl.contracts.text import TEXT_MAX, excerpt
from hitl.names import DECIDE, STATUS_QUERY

POLL_INTERVAL = 0.5
"""Seconds between progress reads of the batch job."""
REPORT_WITHIN = 120.0
"""Seconds with no task answering after which the tasks still silent are reported unknown: a
batch of 1,000 decisions queues up on the worker, and the last ones apply minutes later."""
PARALLEL_QUERIES = 32
"""Status queries in flight at once."""
QUERY_TIMEOUT = timedelta(seconds=5)
RECHECK = 0.5
"""Seconds before a task without the answer yet is looked at again; doubled each time."""
RECHECK_MAX = 5.0


class BatchProgress(Contract):
    """Where a batch job stands."""

    job_id: str
    state: str
    """`running`, `completed` or `failed`."""
    total: int
    done: int
    failed: int


class BatchItem(Contract):
    """What one task did with the batch's decision."""

    workflow_id: str
    answer: str
    """`accepted`, `refused`, or `unknown` (no trace of the decision in the task's status)."""
    code: str = ""
    message: str = ""
    request_id: str | None = None


async def targets(client: Client, query: str, limit: int) -> list[str]:
    """Workflow ids the query matches now, at most `limit`, each once: exactly the tasks the
    batch signals. What each decision is bound to is read from the task itself
    (`hitl.review.signer`), never from its memo or search attributes: whoever starts a workflow
    can set those, before its code has run."""
    ids = [e.id async for e in client.list_workflows(query, limit=limit)]
    return list(dict.fromkeys(ids))


async def start(
    client: Client,
    workflow_ids: list[str],
    decision: Decision,
    job_id: str,
    reason: str,
    max_per_second: float = 0.0,
) -> None:
    """Start a batch job that sends `decision` as the `decide` signal to these workflows.

    The job names its workflows rather than re-running the query, so what is signalled is what
    was listed and is reported: not a task more (past `--limit`, or matching a moment later).
    """
    payloads = await client.data_converter.encode([decision])
    await client.workflow_service.start_batch_operation(
        StartBatchOperationRequest(
            namespace=client.namespace,
            job_id=job_id,
            executions=[WorkflowExecution(workflow_id=w) for w in workflow_ids],
            reason=reason,
            max_operations_per_second=max_per_second,
            signal_operation=BatchOperationSignal(
                signal=DECIDE,
                input=Payloads(payloads=payloads),
                identity=f"hitl-cli/{decision.reviewer}",
            ),
        )
    )


async def progress(client: Client, job_id: str) -> BatchProgress:
    """Read the batch job's counters."""
    raw: DescribeBatchOperationResponse = await client.workflow_service.describe_batch_operation(
        DescribeBatchOperationRequest(namespace=client.namespace, job_id=job_id)
    )
    state = {
        BatchOperationState.BATCH_OPERATION_STATE_COMPLETED: "completed",
        BatchOperationState.BATCH_OPERATION_STATE_FAILED: "failed",
    }.get(raw.state, "running")
    return BatchProgress(
        job_id=job_id,
        state=state,
        total=raw.total_operation_count,
        done=raw.complete_operation_count,
        failed=raw.failure_operation_count,
    )


async def wait(client: Client, job_id: str, on_progress: Callable[[BatchProgress], None]) -> BatchProgress:
    """Poll the job until it completes or fails, calling `on_progress` at every change."""
    last: BatchProgress | None = None
    while True:
        now = await progress(client, job_id)
        if now != last:
            on_progress(now)
            last = now
        if now.state != "running":
            return now
        await asyncio.sleep(POLL_INTERVAL)


async def collect(client: Client, workflow_ids: list[str], decision: Decision) -> list[BatchItem]:
    """Each task's answer to `decision`, found by its `decision_id` (`_check`).

    A task without an answer yet is looked at again, less often each time; the report waits as
    long as some task answered within `REPORT_WITHIN`, so a large batch that a busy worker takes
    minutes to apply is reported in full, and one whose worker stopped ends with the rest unknown.
    """
    gate = asyncio.Semaphore(PARALLEL_QUERIES)
    last_answer = time.monotonic()

    async def one(workflow_id: str) -> BatchItem:
        nonlocal last_answer
        pause = RECHECK
        while True:
            async with gate:
                try:
                    found, error = await _check(client, workflow_id, decision)
                except Exception as err:
                    found, error = None, f"its answer could not be read: {excerpt(repr(err), TEXT_MAX)}"
            if found is not None:
                last_answer = time.monotonic()
                return found
            if time.monotonic() - last_answer > REPORT_WITHIN:
                return BatchItem(
                    workflow_id=workflow_id,
                    answer="unknown",
                    message=error or "the task shows no trace of the decision (not delivered yet?)",
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, RECHECK_MAX)

    return list(await asyncio.gather(*(one(w) for w in workflow_ids)))


ENDED = "the task ended without answering this decision"


async def _check(client: Client, workflow_id: str, decision: Decision) -> tuple[BatchItem | None, str]:
    """The task's answer if it shows one yet, else None and what stood in the way."""
    handle = client.get_workflow_handle(workflow_id, result_type=TaskResult)
    try:
        # The server knows, without the worker, whether the task has finished (its result lists
        # the decisions it answered) or a workflow task (the signal's) waits: querying then
        # would make the worker replay the task only to find nothing yet, and in a batch larger
        # than its cache those replays crowd out the signals' own.
        # Read raw: decoding every search attribute can fail on a server that keeps an unset
        # attribute as an empty payload (the time-skipping server).
        described = await client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
            ),
            timeout=QUERY_TIMEOUT,
        )
        if described.workflow_execution_info.status == WORKFLOW_EXECUTION_STATUS_COMPLETED:
            result = await _result(handle)
            if result is not None:
                found = _in_result(result, workflow_id, decision)
                if found is not None:
                    return found, ""
                if "answers" in result.model_fields_set:
                    ended = f"{ENDED} (it finished before the decision reached it)"
                    return BatchItem(workflow_id=workflow_id, answer="unknown", message=ended), ""
        if described.HasField("pending_workflow_task"):
            return None, "the task has not handled the signal yet (its workflow task is pending)"
        status: TaskStatusView = await handle.query(
            STATUS_QUERY, result_type=TaskStatusView, rpc_timeout=QUERY_TIMEOUT
        )
        return _find(status, workflow_id, decision), ""
    except (RPCError, WorkflowQueryFailedError, WorkflowFailureError) as err:
        return None, str(err)


async def _result(handle: WorkflowHandle[Any, TaskResult]) -> TaskResult | None:
    """The finished task's result; None when it is not a `TaskResult` (another workflow type)."""
    try:
        result = await handle.result(rpc_timeout=QUERY_TIMEOUT)
    except (ValueError, TypeError):
        return None
    return result if isinstance(result, TaskResult) else None


def _in_result(result: TaskResult, workflow_id: str, decision: Decision) -> BatchItem | None:
    """The answer a finished task's result records (None: a result from before it did)."""
    return _in_answers(result.answers, workflow_id, decision)


def _find(status: TaskStatusView, workflow_id: str, decision: Decision) -> BatchItem | None:
    """The answer a running task's status shows (None: not yet)."""
    return _in_answers(answers_of(status.decisions, status.refusals), workflow_id, decision)


def _in_answers(answers: list[DecisionAnswer], workflow_id: str, decision: Decision) -> BatchItem | None:
    for answer in answers:
        if answer.decision_id == decision.decision_id:
            if answer.accepted and (answer.reviewer, answer.outcome) != (
                decision.reviewer,
                decision.outcome.value,
            ):
                return _other(workflow_id, answer.reviewer, answer.outcome)
            return BatchItem(
                workflow_id=workflow_id,
                answer="accepted" if answer.accepted else "refused",
                code=answer.code,
                message=answer.message,
                request_id=answer.request_id,
            )
    return None


def _other(workflow_id: str, reviewer: str | None, outcome: str) -> BatchItem:
    """A task that applied another decision sent with this batch's `decision_id`."""
    return BatchItem(
        workflow_id=workflow_id,
        answer="unknown",
        code="decision_id_reused",
        message=excerpt(
            f"the task applied another decision with this decision_id: {outcome} by {reviewer}", TEXT_MAX
        ),
    )
