"""With an OTLP endpoint configured, a process exports its spans and metrics there (real HTTP)."""

import os
import subprocess
import sys
import textwrap

from tests.otlp_collector import Collector

PROGRAM = textwrap.dedent(
    """
    from activities.store.audit_metrics import AuditMetrics
    from hitl.settings import WorkerSettings
    from temporalio.contrib.opentelemetry import TracingInterceptor

    from hitl.client import interceptors_for
    from hitl.telemetry import meter, tracing_interceptor
    from workers.running import start_telemetry

    telemetry = start_telemetry(WorkerSettings.from_env(), "otlp-test")
    assert telemetry.enabled
    # A worker connecting now traces its workflows and activities.
    assert [type(i) for i in interceptors_for(None, [])] == [TracingInterceptor]
    tracing_interceptor().tracer.start_span("hitl-probe").end()
    AuditMetrics(meter()).escalations.add(1, {"tier": 1})
    telemetry.shutdown()
    """
)


def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_spans_and_metrics_reach_the_configured_collector() -> None:
    with Collector() as collector:
        done = run({"HITL_OTLP_ENDPOINT": collector.endpoint})
        assert done.returncode == 0, done.stderr
        assert collector.span_names() == ["hitl-probe"]
        assert collector.metric_names() == {"hitl.escalations"}
        service = collector.traces[0].resource_spans[0].resource.attributes
        assert [(a.key, a.value.string_value) for a in service if a.key == "service.name"] == [
            ("service.name", "otlp-test")
        ]


def test_nothing_is_exported_without_an_endpoint() -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("HITL_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from hitl.settings import TelemetrySettings; from hitl.telemetry import configure_telemetry;"
            "t = configure_telemetry(TelemetrySettings.from_env(), 'x'); print(t.enabled)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "False\n")


NO_PROVIDER = textwrap.dedent(
    """
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from temporalio.contrib.opentelemetry import TracingInterceptor

    from hitl.client import interceptors_for

    def kinds(provider=None):
        return [type(i).__name__ for i in interceptors_for(provider, [])]

    print(kinds(), kinds(TracerProvider()))
    trace.set_tracer_provider(TracerProvider())  # the service configures OpenTelemetry
    print(kinds())
    """
)


def test_a_client_traces_only_when_spans_go_somewhere() -> None:
    """Without a tracer provider the SDK's tracing interceptor would record nothing and only add
    work to every workflow command and activity (issue 15): it is left out until one is set."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("HITL_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
    }
    done = subprocess.run(
        [sys.executable, "-c", NO_PROVIDER], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[] ['TracingInterceptor']", "['TracingInterceptor']"]
