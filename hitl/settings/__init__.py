"""Settings read at the edges of processes (workers, the CLI, the local stack), never in workflows.

One typed model per kind of process (`hitl.settings.processes`), built from shared groups
(`hitl.settings.groups`, `hitl.settings.channels`) on pydantic-settings. A process calls
`<Model>.from_env()` once at start; code and tests build a model from values directly. Every
variable, its meaning, default and the processes that read it: `docs/configuration.md`, generated
from the models by `python -m hitl.settings.doc`.

The Temporal connection is configured separately through `temporalio.envconfig`
(`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, TLS, TOML profiles).
"""

from hitl.settings.base import HitlSettings
from hitl.settings.channels import ChannelSettings
from hitl.settings.groups import LoggingSettings, TelemetrySettings
from hitl.settings.processes import (
    AgentWorkerSettings,
    CliSettings,
    CodecServerSettings,
    InboxProcessSettings,
    NotificationWorkerSettings,
    StackSettings,
    WorkerSettings,
)

__all__ = [
    "AgentWorkerSettings",
    "ChannelSettings",
    "CliSettings",
    "CodecServerSettings",
    "HitlSettings",
    "InboxProcessSettings",
    "LoggingSettings",
    "NotificationWorkerSettings",
    "StackSettings",
    "TelemetrySettings",
    "WorkerSettings",
]
