"""Traces from the starting client through workflow and activities, and HITL metrics, captured
with in-memory exporters on the time-skipping server (issue 5, point 5)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.store.audit import AuditActivities
from activities.store.audit_metrics import AuditMetrics
from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import start_task
from hitl.contracts import (
    AgentTaskInput,
    AuditEvent,
    AuditKind,
    Decision,
    FeedbackRecord,
    PendingResult,
    RecordEventsInput,
    TaskStatus,
)
from hitl.names import DECIDE, PENDING_QUERY
from hitl.settings import TelemetrySettings
from hitl.telemetry import meter, tracing_interceptor
from tests.support import assert_eventually, settings_for, signed_by_key, unique
from workers.agent import build_agent_worker
from workers.notification import build_notification_worker


@dataclass
class Traced:
    client: Client
    pool: asyncpg.Pool
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader
    task_queue: str

    def points(self, name: str) -> list[Any]:
        data = self.metrics.get_metrics_data()
        assert data is not None
        return [
            p
            for rm in data.resource_metrics
            for sm in rm.scope_metrics
            for m in sm.metrics
            if m.name == name
            for p in m.data.data_points
        ]


@pytest.fixture
async def traced(ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[Traced]:
    """Workers and a client whose telemetry goes to in-memory exporters only."""
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    config = ts_env.client.config()
    config["interceptors"] = [tracing_interceptor(tracer_provider)]
    client = Client(**config)
    settings = settings_for(tmp_path, unique("notify"))
    queue = unique("tq")
    agent = build_agent_worker(client, pool, settings, task_queue=queue, meter_provider=meter_provider)
    async with agent, build_notification_worker(client, settings):
        yield Traced(client, pool, spans, reader, queue)
    tracer_provider.shutdown()
    meter_provider.shutdown()


async def refund(t: Traced, amount: float) -> Any:
    order_id = unique("ord")
    await seed_orders(
        t.pool, [DemoOrder(order_id=order_id, customer_email="kim@example.com", total=Decimal(500))]
    )
    task = AgentTaskInput(
        task_id=unique("refund"),
        kind="refund",
        requester="svc-support",
        subject={"order_id": order_id, "amount": amount, "customer_message": "please refund"},
    )
    return await start_task(t.client, task, task_queue=t.task_queue)


def by_trace(spans: tuple[ReadableSpan, ...], trace_id: int) -> set[str]:
    return {s.name for s in spans if s.context is not None and s.context.trace_id == trace_id}


async def test_one_trace_from_the_client_through_workflow_and_activities(traced: Traced) -> None:
    handle = await refund(traced, 250)
    await assert_eventually(
        lambda: handle.query(PENDING_QUERY, result_type=PendingResult), lambda p: len(p.requests) == 1
    )
    await handle.signal(
        DECIDE, await signed_by_key(traced.client, handle.id, Decision(outcome="approve", reviewer="alice"))
    )
    assert (await handle.result()).status is TaskStatus.COMPLETED

    spans = traced.spans.get_finished_spans()
    [start] = [s for s in spans if s.name == "StartWorkflow:AgentTaskWorkflow"]
    assert start.context is not None
    names = by_trace(spans, start.context.trace_id)
    assert {
        "RunWorkflow:AgentTaskWorkflow",
        "StartActivity:agent_propose",
        "RunActivity:agent_propose",
        "RunActivity:record_audit_events",
        "RunActivity:issue_refund",
        "RunActivity:notify_reviewers",
    } <= names

    [decisions] = traced.points("hitl.decisions")
    assert (decisions.value, decisions.attributes) == (
        1,
        {
            "outcome": "approve",
            "request_kind": "approval",
            "task_kind": "refund",
            "action_type": "issue_refund",
            "by_fallback": False,
        },
    )
    [duration] = traced.points("hitl.decision.duration")
    assert duration.count == 1
    assert sum(p.value for p in traced.points("hitl.gates.pending")) == 0
    assert traced.points("hitl.sla_breaches") == []


async def test_escalations_breaches_and_pending_gates_are_counted(
    traced: Traced, ts_env: WorkflowEnvironment
) -> None:
    handle = await refund(traced, 250)
    await assert_eventually(
        lambda: handle.query(PENDING_QUERY, result_type=PendingResult), lambda p: len(p.requests) == 1
    )
    await assert_eventually(
        lambda: _async(sum(p.value for p in traced.points("hitl.gates.pending"))), lambda n: n == 1
    )
    await ts_env.sleep(timedelta(hours=37))
    assert (await handle.result()).status is TaskStatus.REJECTED

    escalations = {p.attributes["tier"]: p.value for p in traced.points("hitl.escalations")}
    assert escalations == {1: 1, 2: 1}
    [breach] = traced.points("hitl.sla_breaches")
    assert (breach.value, breach.attributes) == (1, {"fallback": "reject"})
    [decisions] = traced.points("hitl.decisions")
    assert (decisions.attributes["outcome"], decisions.attributes["by_fallback"]) == ("reject", True)
    [duration] = traced.points("hitl.decision.duration")
    assert duration.sum == pytest.approx(36 * 3600, abs=60)
    assert sum(p.value for p in traced.points("hitl.gates.pending")) == 0


async def test_a_retried_audit_write_counts_once(pool: asyncpg.Pool) -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    audit = AuditActivities(pool, AuditMetrics(meter(provider)))
    task = unique("t")
    at = datetime(2026, 5, 1, tzinfo=UTC)
    batch = RecordEventsInput(
        events=[
            AuditEvent(
                event_key=f"{task}/r/1",
                task_id=task,
                workflow_id=task,
                seq=1,
                kind=AuditKind.ESCALATED,
                actor="system",
                occurred_at=at,
                data={"request_id": "approval-1", "tier": 1},
            )
        ],
        feedback=[
            FeedbackRecord(
                feedback_key=f"{task}/approval-1",
                task_id=task,
                task_kind="refund",
                request_id="approval-1",
                step=1,
                action_type="issue_refund",
                outcome="modify",
                proposed_args={"amount": 250},
                confidence=0.7,
                reviewers=["alice"],
                opened_at=at,
                decided_at=at + timedelta(minutes=5),
            )
        ],
    )
    for _ in range(3):
        await audit.record_events(batch)
    data = reader.get_metrics_data()
    assert data is not None
    totals = {
        m.name: sum(getattr(p, "value", getattr(p, "count", 0)) for p in m.data.data_points)
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }
    assert totals == {
        "hitl.escalations": 1,
        "hitl.decisions": 1,
        "hitl.decision.duration": 1,
        "hitl.gates.pending": -1,
    }
    provider.shutdown()


def test_exporters_are_chosen_by_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HITL_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME"):
        monkeypatch.delenv(name, raising=False)
    assert TelemetrySettings.from_env().otlp_endpoint is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/")
    assert TelemetrySettings.from_env().otlp_endpoint == "http://c:4318"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318")
    monkeypatch.setenv("HITL_OTLP_ENDPOINT", "http://b:4318")
    chosen = TelemetrySettings.from_env()
    assert (chosen.otlp_endpoint, chosen.service_name) == ("http://b:4318", None)


async def _async(value: Any) -> Any:
    return value
