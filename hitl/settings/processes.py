"""One settings model per kind of process, combined from the groups each one reads.

| process | model | run with |
|---|---|---|
| agent worker | `AgentWorkerSettings` | `python -m workers.agent` |
| notification worker | `NotificationWorkerSettings` | `python -m workers.notification` |
| command line | `CliSettings` | `hitl ...` |
| local stack | `StackSettings` | `make run` (`python -m workers.stack`) |
| reviewer inbox | `InboxProcessSettings` | `python -m hitl.inbox` |
"""

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from hitl.settings.base import DOC_DEFAULT, HitlSettings
from hitl.settings.channels import ChannelSettings
from hitl.settings.groups import (
    AuditAnchorSettings,
    CodecKeySettings,
    DatabaseSettings,
    HealthSettings,
    LoggingSettings,
    MigratorSettings,
    NotifyQueueSettings,
    OutboxSettings,
    PolicySettings,
    Port,
    StateSettings,
    TelemetrySettings,
    WorkflowRunnerSettings,
)
from hitl.settings.inbox import InboxLinkSettings, InboxPortSettings, InboxSettings


class WorkerSettings(LoggingSettings, TelemetrySettings, CodecKeySettings, HealthSettings):
    """What both workers share: logging, telemetry, payload keys and health endpoints."""


class AgentWorkerSettings(
    WorkerSettings,
    DatabaseSettings,
    MigratorSettings,
    AuditAnchorSettings,
    PolicySettings,
    NotifyQueueSettings,
    WorkflowRunnerSettings,
):
    """The agent worker: workflows, agent activities, tools and undo, audit writes."""

    ui_url: str = "http://localhost:8233"
    """Temporal Web UI base URL used in links in context cards and notices."""
    max_cached_workflows: int = Field(500, ge=0, le=100_000)
    """Workflow runs the agent worker keeps in memory (sticky cache; about 0.22 MB each): however
    many tasks wait, the worker stays near 350 MB. A decision, timer or query for a run no longer
    cached replays its history first; keep it above the largest batch approved at once."""
    sticky_schedule_to_start_seconds: float = Field(3.0, gt=0)
    """Seconds a workflow task waits on a worker's sticky queue before any worker may take it
    (the SDK's `sticky_queue_schedule_to_start_timeout`, default 10 s): after a worker dies, its
    tasks move on after this long. Too short and a busy live worker loses its cache (a replay)."""
    llm_base_url: str | None = Field(None, json_schema_extra={DOC_DEFAULT: "none: the rules agent"})
    """An OpenAI-compatible chat-completions endpoint (`.../v1`); when set, refund tasks are planned
    by that model instead of the rules agent."""
    llm_model: str = "gpt-4o-mini"
    """Model name at the `HITL_LLM_BASE_URL` endpoint."""
    llm_api_key: SecretStr = SecretStr("")
    """Bearer key for the `HITL_LLM_BASE_URL` endpoint."""
    sentiment_base_url: str | None = Field(None, json_schema_extra={DOC_DEFAULT: "none: keywords"})
    """An OpenAI-compatible endpoint that classifies customers' sentiment (never the acting agent);
    unset, a deterministic keyword classifier does."""
    sentiment_model: str = "gpt-4o-mini"
    """Model name at the `HITL_SENTIMENT_BASE_URL` endpoint."""
    sentiment_api_key: SecretStr = SecretStr("")
    """Bearer key for the `HITL_SENTIMENT_BASE_URL` endpoint."""


class NotificationWorkerSettings(
    WorkerSettings, OutboxSettings, NotifyQueueSettings, ChannelSettings, InboxLinkSettings
):
    """The notification worker: notification activities and their channels; no database."""


class CliSettings(
    TelemetrySettings,
    DatabaseSettings,
    MigratorSettings,
    AuditAnchorSettings,
    PolicySettings,
    CodecKeySettings,
    StateSettings,
):
    """The `hitl` command line."""

    reviewer: str | None = None
    """Who the `hitl` decision commands decide as when `--as` is not given."""
    reviewer_key: Path | None = Field(None, json_schema_extra={DOC_DEFAULT: "none: `HITL_REVIEWER_KEY_DIR`"})
    """The Ed25519 private key file the `hitl` CLI signs decisions with."""
    reviewer_key_dir: Path = Field(
        Path("~/.config/hitl/keys").expanduser(), json_schema_extra={DOC_DEFAULT: "`~/.config/hitl/keys`"}
    )
    """Where `hitl keys new` writes `<reviewer>.key` files and the `hitl` CLI looks for them."""
    requester_key: Path | None = Field(None, json_schema_extra={DOC_DEFAULT: "none: `HITL_REVIEWER_KEY_DIR`"})
    """The Ed25519 private key file `hitl start` signs a task's start with (else `<requester>.key` in
    the key folder; no key: the start is unsigned and the requester only asserted)."""


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
    codec_port: Port = 8234
    """Port of the local stack's codec server (it decodes payloads for the Web UI and the CLI)."""
    llm_base_url: str | None = Field(None, json_schema_extra={DOC_DEFAULT: "none: the rules agent"})
    """Handed on to the agent worker: a model plans the sample refunds instead of the rules agent."""


class CodecServerSettings(LoggingSettings, CodecKeySettings):
    """The codec server (`python -m workers.codec_server`): decodes payloads for the Web UI and CLI."""

    codec_server_token: SecretStr = Field(json_schema_extra={DOC_DEFAULT: "none: required"})
    """Bearer token callers must present (16+ characters); `make run` makes one."""
    codec_server_host: str = "127.0.0.1"
    """Address to listen on (loopback only by default)."""
    codec_server_port: Port = 8234
    """Port to listen on."""
    codec_server_origins: str | None = Field(
        None, json_schema_extra={DOC_DEFAULT: "the origin of `HITL_UI_URL` and its `127.0.0.1` twin"}
    )
    """Comma-separated Web UI origins that CORS admits."""
    ui_url: str = "http://localhost:8233"
    """Temporal Web UI base URL (its origin is admitted by CORS when no origins are given)."""

    @field_validator("codec_server_token")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be a random token of 16+ characters")
        return value


class InboxProcessSettings(
    InboxSettings, LoggingSettings, TelemetrySettings, PolicySettings, CodecKeySettings
):
    """The reviewer inbox: the web app reviewers decide in; no database."""


PROCESSES: dict[str, type[HitlSettings]] = {
    "agent worker": AgentWorkerSettings,
    "notification worker": NotificationWorkerSettings,
    "`hitl` CLI": CliSettings,
    "local stack": StackSettings,
    "codec server": CodecServerSettings,
    "reviewer inbox": InboxProcessSettings,
}
"""Every process kind and its settings model, in the order the configuration table names them."""
