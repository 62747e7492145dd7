"""One settings model per kind of process, combined from the groups each one reads.

| process | model | run with |
|---|---|---|
| agent worker | `AgentWorkerSettings` | `python -m workers.agent` |
| notification worker | `NotificationWorkerSettings` | `python -m workers.notification` |
| command line | `CliSettings` | `hitl ...` |
| local stack | `StackSettings` | `make run` (`python -m workers.stack`) |
| reviewer inbox | `InboxProcessSettings` | `python -m hitl.inbox` |
"""

from pydantic import Field, SecretStr

from hitl.settings.base import DOC_DEFAULT, HitlSettings
from hitl.settings.channels import ChannelSettings
from hitl.settings.groups import (
    AuditAnchorSettings,
    DatabaseSettings,
    LoggingSettings,
    MigratorSettings,
    NotifyQueueSettings,
    OutboxSettings,
    PolicySettings,
    Port,
    TelemetrySettings,
)
from hitl.settings.inbox import InboxLinkSettings, InboxPortSettings, InboxSettings


class WorkerSettings(LoggingSettings, TelemetrySettings):
    """What both workers share: logging and telemetry."""


class AgentWorkerSettings(
    WorkerSettings,
    DatabaseSettings,
    MigratorSettings,
    AuditAnchorSettings,
    PolicySettings,
    NotifyQueueSettings,
):
    """The agent worker: workflows, agent activities, tools and undo, audit writes."""

    ui_url: str = "http://localhost:8233"
    """Temporal Web UI base URL used in links in context cards and notices."""
    llm_base_url: str | None = Field(None, json_schema_extra={DOC_DEFAULT: "none: the rules agent"})
    """An OpenAI-compatible chat-completions endpoint (`.../v1`); when set, refund tasks are planned
    by that model instead of the rules agent."""
    llm_model: str = "gpt-4o-mini"
    """Model name at the `HITL_LLM_BASE_URL` endpoint."""
    llm_api_key: SecretStr = SecretStr("")
    """Bearer key for the `HITL_LLM_BASE_URL` endpoint."""


class NotificationWorkerSettings(
    WorkerSettings, OutboxSettings, NotifyQueueSettings, ChannelSettings, InboxLinkSettings
):
    """The notification worker: notification activities and their channels; no database."""


class CliSettings(TelemetrySettings, DatabaseSettings, MigratorSettings, AuditAnchorSettings, PolicySettings):
    """The `hitl` command line."""

    reviewer: str | None = None
    """Who the `hitl` decision commands decide as when `--as` is not given."""


class StackSettings(
    LoggingSettings,
    OutboxSettings,
    PolicySettings,
    NotifyQueueSettings,
    AuditAnchorSettings,
    InboxPortSettings,
):
    """The local stack (`make run`): it hands these on to the workers it starts."""

    temporal_port: Port = 7233
    """Port of the local stack's Temporal dev server."""
    ui_port: Port = 8233
    """Port of the local stack's Temporal Web UI."""


class InboxProcessSettings(InboxSettings, LoggingSettings, TelemetrySettings, PolicySettings):
    """The reviewer inbox: the web app reviewers decide in; no database."""


PROCESSES: dict[str, type[HitlSettings]] = {
    "agent worker": AgentWorkerSettings,
    "notification worker": NotificationWorkerSettings,
    "`hitl` CLI": CliSettings,
    "local stack": StackSettings,
    "reviewer inbox": InboxProcessSettings,
}
"""Every process kind and its settings model, in the order the configuration table names them."""
