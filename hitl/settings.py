"""Settings read at the edges of processes (workers, the CLI, the local stack), never in workflows.

| variable | meaning | default |
|---|---|---|
| `HITL_DATABASE_URL` | PostgreSQL DSN of the workers' role (audit, feedback, demo shop) | none; the local stack sets it |
| `HITL_MIGRATOR_DATABASE_URL` | DSN of the role that owns the schema: `hitl db migrate` and the agent worker migrate with it | none: the worker only checks the schema is current |
| `HITL_AUDIT_KEY_FILE` | Ed25519 private key (PEM) that signs chain checkpoints (workers) | none: no checkpoints |
| `HITL_AUDIT_PUBLIC_KEY_FILE` | PEM public keys that `hitl audit verify` checks checkpoints with | the public half of `HITL_AUDIT_KEY_FILE` |
| `HITL_AUDIT_CHECKPOINT_FILE` | append-only JSON-lines file of checkpoints (written by workers, read by verify) | none |
| `HITL_AUDIT_CHECKPOINT_EVERY`, `HITL_AUDIT_CHECKPOINT_SECONDS` | a checkpoint after this many rows a worker wrote, or this many seconds | `100`, `60` |
| `HITL_POLICY_DIR` | folder of `<name>.toml` policy files | the packaged `policies/` |
| `HITL_UI_URL` | Temporal Web UI base URL used in links | `http://localhost:8233` |
| `HITL_OUTBOX` | file the console channel appends notices to (JSON lines) | `.hitl-state/outbox.jsonl` |
| `HITL_NOTIFY_TASK_QUEUE` | task queue of the notification worker | `hitl-notify` |
| `HITL_LLM_BASE_URL` | OpenAI-compatible endpoint; when set, refund tasks are planned by the model | none: rules |
| `HITL_LLM_MODEL`, `HITL_LLM_API_KEY` | model name and key for that endpoint | `gpt-4o-mini`, none |
| `HITL_STATE_DIR` | local stack state (Temporal SQLite file, PostgreSQL data, logs) | `.hitl-state` |
| `HITL_REVIEWER` | who the `hitl` CLI decides as when `--as` is not given | none |

The Temporal connection is configured separately through `temporalio.envconfig`
(`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, TLS, TOML profiles).
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

import policies
from hitl.errors import ConfigError
from hitl.names import NOTIFY_TASK_QUEUE


class Settings(BaseModel):
    """Process settings; build with `Settings.from_env()`."""

    model_config = ConfigDict(frozen=True)

    database_url: str | None
    policy_dir: Path
    ui_url: str
    outbox: Path
    state_dir: Path
    notify_task_queue: str = NOTIFY_TASK_QUEUE
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr = SecretStr("")
    reviewer: str | None = None
    """The reviewer the `hitl` CLI decides as when `--as` is not given."""
    migrator_database_url: str | None = None
    audit_key_file: Path | None = None
    audit_public_key_file: Path | None = None
    audit_checkpoint_file: Path | None = None
    audit_checkpoint_every: int = 100
    audit_checkpoint_seconds: float = 60.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        """Read settings from the environment (or from `env`)."""
        source = os.environ if env is None else env
        state_dir = Path(source.get("HITL_STATE_DIR", ".hitl-state"))
        return cls(
            database_url=source.get("HITL_DATABASE_URL") or None,
            policy_dir=Path(source.get("HITL_POLICY_DIR") or Path(policies.__file__).parent),
            ui_url=source.get("HITL_UI_URL", "http://localhost:8233"),
            outbox=Path(source.get("HITL_OUTBOX") or state_dir / "outbox.jsonl"),
            state_dir=state_dir,
            notify_task_queue=source.get("HITL_NOTIFY_TASK_QUEUE") or NOTIFY_TASK_QUEUE,
            llm_base_url=source.get("HITL_LLM_BASE_URL") or None,
            llm_model=source.get("HITL_LLM_MODEL") or "gpt-4o-mini",
            llm_api_key=SecretStr(source.get("HITL_LLM_API_KEY", "")),
            reviewer=source.get("HITL_REVIEWER") or None,
            migrator_database_url=source.get("HITL_MIGRATOR_DATABASE_URL") or None,
            audit_key_file=_path(source.get("HITL_AUDIT_KEY_FILE")),
            audit_public_key_file=_path(source.get("HITL_AUDIT_PUBLIC_KEY_FILE")),
            audit_checkpoint_file=_path(source.get("HITL_AUDIT_CHECKPOINT_FILE")),
            audit_checkpoint_every=_number(source, "HITL_AUDIT_CHECKPOINT_EVERY", 100, int),
            audit_checkpoint_seconds=_number(source, "HITL_AUDIT_CHECKPOINT_SECONDS", 60.0, float),
        )

    def require_database(self) -> str:
        """Return the DSN or fail with a message that says how to set it."""
        if not self.database_url:
            raise ConfigError(
                "HITL_DATABASE_URL is not set: give a PostgreSQL DSN, or run `make run` "
                "to start the local stack with its embedded PostgreSQL"
            )
        return self.database_url


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _number(source: Mapping[str, str], name: str, default: float, kind: type[float] | type[int]) -> Any:
    text = source.get(name)
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {text!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, not {text!r}")
    return value
