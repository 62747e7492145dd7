"""Payload keys at work: a rotation mid-task, and a worker without the key a payload needs.

A worker that cannot decrypt a workflow's payloads fails that workflow task with the codec's
message (in its log and, encrypted like every failure, in history) and leaves the workflow
running: it resumes as soon as a worker holding the key picks it up. Nothing is lost or failed.
"""

import base64
import json
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from hitl.codec import CodecKeys, encrypted_data_converter
from hitl.codec.keys import new_key
from hitl.contracts import Decision, PendingResult, TaskResult, TaskStatus
from hitl.names import DECIDE, PENDING_QUERY
from tests.codec_keys import TEST_KEYS
from tests.history_payloads import key_ids
from tests.support import (
    assert_eventually,
    running_workers,
    settings_for,
    signed_by_key,
    start_refund,
    unique,
)
from workers.agent import SANDBOX
from workflows.registry import WORKFLOWS

ROTATED = CodecKeys(current="test-2", keys={"test-2": base64.b64decode(new_key()), **TEST_KEYS.keys})
"""After a rotation: a new current key, the old one still held."""


def client_with(env: WorkflowEnvironment, keys: CodecKeys) -> Client:
    config = env.client.config()
    config["data_converter"] = encrypted_data_converter(keys)
    return Client(**config)


async def task_failures(handle: WorkflowHandle[Any, TaskResult]) -> list[Failure]:
    return [
        e.workflow_task_failed_event_attributes.failure
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]


async def test_a_worker_without_the_key_fails_the_task_clearly_and_the_workflow_resumes_with_it(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    queue, settings = unique("tq"), settings_for(tmp_path, unique("notify"))
    rotated = client_with(ts_env, ROTATED)
    handle = await start_refund(rotated, pool, queue, amount=5)  # input under test-2

    async with running_workers(ts_env.client, pool, settings, queue):  # holds test-1 only
        [failure, *_] = await assert_eventually(lambda: task_failures(handle), bool)
        assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING
    assert failure.message == "Encoded failure"  # the message travels encrypted like every failure
    cause = await ts_env.client.data_converter.decode_failure(failure)
    assert isinstance(cause, ApplicationError)
    assert (cause.type, cause.message) == (
        "CodecKeyError",
        "payload is encrypted under codec key 'test-2', which this process does not hold (it holds "
        "['test-1']): add that key to HITL_CODEC_KEYS or HITL_CODEC_KEY_FILE; keep old keys listed "
        "after a rotation",
    )

    async with running_workers(rotated, pool, settings, queue):
        result = await handle.result()
    assert result.status is TaskStatus.COMPLETED


async def test_a_task_started_before_a_rotation_finishes_after_it_and_replays(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    queue, settings = unique("tq"), settings_for(tmp_path, unique("notify"))
    handle = await start_refund(dev_env.client, pool, queue, amount=250)
    async with running_workers(dev_env.client, pool, settings, queue):
        await assert_eventually(
            lambda: handle.query(PENDING_QUERY, result_type=PendingResult), lambda p: len(p.requests) == 1
        )

    rotated = client_with(dev_env, ROTATED)
    async with running_workers(rotated, pool, settings, queue):
        after = rotated.get_workflow_handle(handle.id, result_type=TaskResult)
        approve = Decision(outcome="approve", reviewer="alice")
        await after.signal(DECIDE, await signed_by_key(rotated, handle.id, approve))
        result = await after.result()
    assert (result.status, result.steps[1].decided_by) == (TaskStatus.COMPLETED, "alice")
    history = await handle.fetch_history()
    assert key_ids(json.loads(history.to_json())) == {"test-1", "test-2"}
    replayer = Replayer(  # in the namespace it ran in: the signed decision is bound to it
        workflows=WORKFLOWS,
        data_converter=encrypted_data_converter(ROTATED),
        workflow_runner=SANDBOX,
        namespace=dev_env.client.namespace,
    )
    assert (await replayer.replay_workflow(history, raise_on_replay_failure=False)).replay_failure is None
