"""OpenTelemetry for HITL processes: traces through the Temporal SDK's interceptor, HITL metrics.

Exporting is chosen by `TelemetrySettings` (`HITL_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`,
`OTEL_SERVICE_NAME`, `HITL_METRICS_INTERVAL`; see docs/configuration.md), read at process start,
never in workflows.

Without an endpoint the global providers stay OpenTelemetry's no-op ones: no tracing interceptor is
installed (`tracing_configured`) and the instruments cost next to nothing. A service that
configures OpenTelemetry itself, before it connects, gets HITL spans and metrics through its own
global providers.
"""

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from temporalio.contrib.opentelemetry import TracingInterceptor

from hitl.settings import TelemetrySettings

INSTRUMENTATION = "hitl"


class Telemetry:
    """The providers a process exports through; `shutdown()` flushes them before exit."""

    def __init__(self, tracer_provider: TracerProvider | None, meter_provider: MeterProvider | None) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider

    @property
    def enabled(self) -> bool:
        """True when something is exported."""
        return self.tracer_provider is not None or self.meter_provider is not None

    def shutdown(self) -> None:
        """Flush and stop the exporters (a no-op when nothing is exported)."""
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()
        if self.meter_provider is not None:
            self.meter_provider.shutdown()


def build_providers(
    service_name: str, span_exporter: SpanExporter | None, metric_reader: MetricReader | None
) -> Telemetry:
    """SDK providers around the given exporter and reader (either may be None)."""
    resource = Resource.create({"service.name": service_name})
    tracer_provider = None
    if span_exporter is not None:
        tracer_provider = TracerProvider(resource=resource)
        tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    meter_provider = None
    if metric_reader is not None:
        meter_provider = MeterProvider(resource=resource, metric_readers=[metric_reader])
    return Telemetry(tracer_provider, meter_provider)


def configure_telemetry(settings: TelemetrySettings, service_name: str) -> Telemetry:
    """Install OTLP exporters as the global providers when an endpoint is configured.

    `service_name` names the process unless `OTEL_SERVICE_NAME` names it.
    """
    if settings.otlp_endpoint is None:
        return Telemetry(None, None)
    # Imported here: the exporter pulls in protobuf and requests, which processes without an
    # endpoint never need.
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    telemetry = build_providers(
        settings.service_name or service_name,
        OTLPSpanExporter(endpoint=f"{settings.otlp_endpoint}/v1/traces"),
        PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=f"{settings.otlp_endpoint}/v1/metrics"),
            export_interval_millis=settings.metrics_interval_seconds * 1000,
        ),
    )
    assert telemetry.tracer_provider is not None and telemetry.meter_provider is not None
    trace.set_tracer_provider(telemetry.tracer_provider)
    metrics.set_meter_provider(telemetry.meter_provider)
    return telemetry


def tracing_configured() -> bool:
    """Whether spans go anywhere: a global tracer provider was set (by `configure_telemetry` or by
    the service). Until one is, OpenTelemetry's is a proxy that records nothing, and the SDK's
    tracing interceptor would only add work to every workflow command and activity."""
    provider = trace.get_tracer_provider()
    return not isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider)


def tracing_interceptor(tracer_provider: trace.TracerProvider | None = None) -> TracingInterceptor:
    """The SDK's tracing interceptor: client, workflow and activity spans in one trace.

    On a client it also applies to every worker built from that client.
    """
    provider = tracer_provider or trace.get_tracer_provider()
    return TracingInterceptor(provider.get_tracer(INSTRUMENTATION))


def meter(meter_provider: metrics.MeterProvider | None = None) -> metrics.Meter:
    """The HITL meter from `meter_provider` or the global provider."""
    return (meter_provider or metrics.get_meter_provider()).get_meter(INSTRUMENTATION)
