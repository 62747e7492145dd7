"""Settings read at the edges of processes (workers, the CLI, the local stack), never in workflows.

| variable | meaning | default |
|---|---|---|
| `HITL_DATABASE_URL` | PostgreSQL DSN (audit, feedback, demo shop) | none; the local stack sets it |
| `HITL_POLICY_DIR` | folder of `<name>.toml` policy files | the packaged `policies/` |
| `HITL_UI_URL` | Temporal Web UI base URL used in links | `http://localhost:8233` |
| `HITL_OUTBOX` | file the console channel appends notices to (JSON lines) | `.hitl-state/outbox.jsonl` |
| `HITL_NOTIFY_TASK_QUEUE` | task queue of the notification worker | `hitl-notify` |
| `HITL_LLM_BASE_URL` | OpenAI-compatible endpoint; when set, refund tasks are planned by the model | none: rules |
| `HITL_LLM_MODEL`, `HITL_LLM_API_KEY` | model name and key for that endpoint | `gpt-4o-mini`, none |
| `HITL_STATE_DIR` | local stack state (Temporal SQLite file, PostgreSQL data, logs) | `.hitl-state` |
| `HITL_REVIEWER` | who the `hitl` CLI decides as when `--as` is not given | none |
| `HITL_REVIEWER_KEY` | the reviewer's Ed25519 private key file the `hitl` CLI signs with | see below |
| `HITL_REVIEWER_KEY_DIR` | folder of `<reviewer>.key` files (`hitl keys new`) | `~/.config/hitl/keys` |

The Temporal connection is configured separately through `temporalio.envconfig`
(`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, TLS, TOML profiles).
"""

import os
from pathlib import Path

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
    reviewer_key: Path | None = None
    """The private key the `hitl` CLI signs decisions with; else found in `reviewer_key_dir`."""
    reviewer_key_dir: Path = Path("~/.config/hitl/keys").expanduser()
    """Where `hitl keys new` writes keys and the `hitl` CLI looks for `<reviewer>.key`."""

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
            reviewer_key=Path(source["HITL_REVIEWER_KEY"]) if source.get("HITL_REVIEWER_KEY") else None,
            reviewer_key_dir=Path(
                source.get("HITL_REVIEWER_KEY_DIR") or Path("~/.config/hitl/keys").expanduser()
            ),
        )

    def require_database(self) -> str:
        """Return the DSN or fail with a message that says how to set it."""
        if not self.database_url:
            raise ConfigError(
                "HITL_DATABASE_URL is not set: give a PostgreSQL DSN, or run `make run` "
                "to start the local stack with its embedded PostgreSQL"
            )
        return self.database_url
