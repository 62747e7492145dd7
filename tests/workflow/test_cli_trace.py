"""`hitl start` with an OTLP endpoint starts the task's trace, as a traced service would: the
`StartWorkflow` span reaches the collector, and the workflow carries its context onward."""

from temporalio.testing import WorkflowEnvironment

from tests.otlp_collector import Collector
from tests.support import run_hitl, unique


async def test_hitl_start_exports_the_start_span(ts_env: WorkflowEnvironment) -> None:
    task_id = unique("traced")
    with Collector() as collector:
        done = await run_hitl(
            *("start", "--task-id", task_id, "--requester", "svc", "--subject", '{"order_id": "A-1"}'),
            env={
                "TEMPORAL_ADDRESS": ts_env.client.service_client.config.target_host,
                "HITL_OTLP_ENDPOINT": collector.endpoint,
            },
        )
        assert (done.returncode, done.stdout) == (0, f"{task_id}\n"), done.stderr
        assert collector.span_names() == ["StartWorkflow:AgentTaskWorkflow"]
    headers = (await ts_env.client.get_workflow_handle(task_id).fetch_history()).events[0]
    carried = headers.workflow_execution_started_event_attributes.header.fields
    assert "_tracer-data" in carried
    await ts_env.client.get_workflow_handle(task_id).terminate(reason="test finished")
