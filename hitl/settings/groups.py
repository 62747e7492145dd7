"""Groups of settings that several processes share; `hitl.settings.processes` combines them.

Each group is defined once, with its documentation, so a variable means the same in every
process that reads it.
"""

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator

import policies
from hitl.errors import ConfigError
from hitl.names import NOTIFY_TASK_QUEUE
from hitl.settings.base import DOC_DEFAULT, HitlSettings

Port = Annotated[int, Field(ge=1, le=65535)]
"""A TCP port number."""

LogLevel = Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]


def packaged_policies() -> Path:
    """The policy files shipped with the package."""
    return Path(policies.__file__).parent


class LoggingSettings(HitlSettings):
    """How a long-running process logs."""

    log_level: LogLevel = "INFO"
    """Log level of the process (`DEBUG`, `INFO`, `WARNING`, `ERROR`, `CRITICAL`)."""

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class HealthSettings(HitlSettings):
    """The health endpoints a worker serves for an orchestrator's probes (`workers.health`)."""

    health_port: Port | None = Field(None, json_schema_extra={DOC_DEFAULT: "none: no endpoint"})
    """Port of the worker's `/livez` and `/readyz` endpoints (all interfaces)."""


class TelemetrySettings(HitlSettings):
    """Where traces and metrics go (see `hitl.telemetry`); without an endpoint, nowhere."""

    otlp_endpoint: str | None = Field(
        None,
        validation_alias=AliasChoices("HITL_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"),
        json_schema_extra={DOC_DEFAULT: "none: nothing is exported"},
    )
    """OTLP/HTTP collector base URL, e.g. `http://localhost:4318`; `/v1/traces` and `/v1/metrics` are
    appended."""
    service_name: str | None = Field(None, validation_alias="OTEL_SERVICE_NAME")
    """`service.name` on spans and metrics, instead of the process's own (`hitl-agent-worker`, ...)."""
    metrics_interval_seconds: float = Field(60.0, gt=0, validation_alias="HITL_METRICS_INTERVAL")
    """Seconds between metric exports."""

    @field_validator("otlp_endpoint")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None


class DatabaseSettings(HitlSettings):
    """The PostgreSQL database of the audit trail."""

    database_url: SecretStr | None = Field(
        None, json_schema_extra={DOC_DEFAULT: "none; `make run` sets it for its workers"}
    )
    """PostgreSQL DSN (audit trail, feedback, demo shop). The agent worker does not start without it;
    `hitl` database commands take `--dsn` instead."""

    def require_database(self) -> str:
        """Return the DSN or fail with a message that says how to set it.

        Raises:
            ConfigError: No DSN is configured.
        """
        if self.database_url is None or not self.database_url.get_secret_value():
            raise ConfigError(
                "HITL_DATABASE_URL is not set: give a PostgreSQL DSN, or run `make run` "
                "to start the local stack with its embedded PostgreSQL"
            )
        return self.database_url.get_secret_value()


class CodecKeySettings(HitlSettings):
    """Payload encryption keys (AES-256 by id), read by every client and worker (docs/security.md)."""

    codec_keys: SecretStr | None = Field(None, json_schema_extra={DOC_DEFAULT: "none: this or the key file"})
    """`ID=BASE64,ID=BASE64,...`: 256-bit AES keys by id. Keep every key that encrypted a payload still
    in Temporal; set this or `HITL_CODEC_KEY_FILE`, not both."""
    codec_key_file: Path | None = Field(
        None, json_schema_extra={DOC_DEFAULT: "none; `make run` makes `.hitl-state/codec-keys`"}
    )
    """A file of `ID=BASE64` lines (`#` comments): the keys, kept out of the environment."""
    codec_current_key: str | None = Field(None, json_schema_extra={DOC_DEFAULT: "the first key listed"})
    """The key id new payloads are encrypted under."""


class MigratorSettings(HitlSettings):
    """The role that owns the schema (migrations); workers connect with a role that cannot alter it."""

    migrator_database_url: SecretStr | None = Field(
        None, json_schema_extra={DOC_DEFAULT: "none: the agent worker only checks the schema is current"}
    )
    """DSN of the role that owns the schema: `hitl db migrate` and the agent worker migrate with it."""


class AuditAnchorSettings(HitlSettings):
    """Signed checkpoints of the audit chain's head, kept outside the database."""

    audit_key_file: Path | None = Field(None, json_schema_extra={DOC_DEFAULT: "none: no checkpoints"})
    """Ed25519 private key (PEM) that signs chain checkpoints (workers)."""
    audit_public_key_file: Path | None = Field(
        None, json_schema_extra={DOC_DEFAULT: "the public half of `HITL_AUDIT_KEY_FILE`"}
    )
    """PEM public keys that `hitl audit verify` checks checkpoints with."""
    audit_checkpoint_file: Path | None = None
    """Append-only JSON-lines file of checkpoints (written by workers, read by verify)."""
    audit_checkpoint_every: int = Field(100, gt=0)
    """A checkpoint after this many rows a worker wrote..."""
    audit_checkpoint_seconds: float = Field(60.0, gt=0)
    """...or after this many seconds."""


class PolicySettings(HitlSettings):
    """Where the policy files are."""

    policy_dir: Path = Field(
        default_factory=packaged_policies, json_schema_extra={DOC_DEFAULT: "the packaged `policies/`"}
    )
    """Folder of `<name>.toml` policy files."""


class NotifyQueueSettings(HitlSettings):
    """Where notices are delivered from."""

    notify_task_queue: str = NOTIFY_TASK_QUEUE
    """Task queue of the notification worker."""


class WorkflowRunnerSettings(HitlSettings):
    """How the agent worker runs workflow code (the bench's bare worker runs it the same way)."""

    workflow_sandbox: bool = False
    """`1` runs workflow code in the SDK's sandbox. Off by default: the sandbox passes this
    project's workflow, contract and policy modules through and does not check their imports (it
    still refuses builtins such as `open` and imports made while a workflow runs); lint refuses
    all of these in every module a workflow loads (`workflows/ruff.toml`, applied by the tests),
    and the replay gate replays recorded histories in the sandbox. Off, the agent worker spent
    24 to 44 % less CPU per task in the gate bench (docs/performance.md). Turn it on for
    workflow code that imports libraries outside that guard."""


class StateSettings(HitlSettings):
    """The local state folder."""

    state_dir: Path = Path(".hitl-state")
    """Local state: the stack's Temporal SQLite file, PostgreSQL data and logs, the outbox, and
    `stack.env`, where the `hitl` CLI finds the running local stack."""


class OutboxSettings(StateSettings):
    """The console channel's outbox, in the local state folder."""

    outbox: Path = Field(
        default_factory=lambda data: data["state_dir"] / "outbox.jsonl",
        json_schema_extra={DOC_DEFAULT: "`outbox.jsonl` in `HITL_STATE_DIR`"},
    )
    """File the console notification channel appends notices to (JSON lines)."""
