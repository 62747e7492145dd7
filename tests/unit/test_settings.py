"""Settings per process kind: read from the environment, refused with a message naming the
variable, and documented from the models (docs/configuration.md)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import Field, SecretStr, ValidationError

import policies
from hitl.errors import ConfigError
from hitl.settings import (
    AgentWorkerSettings,
    CliSettings,
    HitlSettings,
    NotificationWorkerSettings,
    StackSettings,
)
from hitl.settings.base import describe
from hitl.settings.doc import render

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment without any HITL_ or OTEL_ variable of the caller's."""
    for name in list(os.environ):
        if name.startswith(("HITL_", "OTEL_")):
            monkeypatch.delenv(name)
    return monkeypatch


def test_the_agent_worker_reads_its_variables(env: pytest.MonkeyPatch) -> None:
    for name, value in {
        "HITL_DATABASE_URL": "postgresql://hitl:pw@db/hitl",
        "HITL_POLICY_DIR": "/etc/hitl/policies",
        "HITL_UI_URL": "https://ui.example",
        "HITL_NOTIFY_TASK_QUEUE": "notify-eu",
        "HITL_LLM_BASE_URL": "http://llm/v1",
        "HITL_LLM_MODEL": "m",
        "HITL_LLM_API_KEY": "sk-1",
        "HITL_LOG_LEVEL": "debug",
        "OTEL_SERVICE_NAME": "agent-eu",
    }.items():
        env.setenv(name, value)
    settings = AgentWorkerSettings.from_env()
    assert settings == AgentWorkerSettings(
        database_url=SecretStr("postgresql://hitl:pw@db/hitl"),
        policy_dir=Path("/etc/hitl/policies"),
        ui_url="https://ui.example",
        notify_task_queue="notify-eu",
        llm_base_url="http://llm/v1",
        llm_model="m",
        llm_api_key=SecretStr("sk-1"),
        log_level="DEBUG",
        service_name="agent-eu",
    )
    assert settings.require_database() == "postgresql://hitl:pw@db/hitl"
    assert "pw@db" not in repr(settings) and "sk-1" not in repr(settings)


def test_defaults_and_empty_values(env: pytest.MonkeyPatch) -> None:
    env.setenv("HITL_UI_URL", "")
    env.setenv("HITL_STATE_DIR", "/var/hitl")
    assert NotificationWorkerSettings.from_env().outbox == Path("/var/hitl/outbox.jsonl")
    stack = StackSettings.from_env()
    assert (stack.temporal_port, stack.ui_port, stack.policy_dir, stack.notify_task_queue) == (
        7233,
        8233,
        Path(policies.__file__).parent,
        "hitl-notify",
    )
    assert AgentWorkerSettings.from_env().ui_url == "http://localhost:8233"
    assert CliSettings.from_env().reviewer is None


def test_the_notification_worker_needs_no_database() -> None:
    assert "database_url" not in NotificationWorkerSettings.model_fields
    assert "database_url" in AgentWorkerSettings.model_fields


def test_a_missing_database_keeps_its_message(env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError) as missing:
        AgentWorkerSettings.from_env().require_database()
    assert str(missing.value) == (
        "HITL_DATABASE_URL is not set: give a PostgreSQL DSN, or run `make run` "
        "to start the local stack with its embedded PostgreSQL"
    )


@pytest.mark.parametrize(
    ("model", "variable", "value", "message"),
    [
        (
            StackSettings,
            "HITL_TEMPORAL_PORT",
            "x",
            "HITL_TEMPORAL_PORT: Input should be a valid integer, unable to parse string as an integer (got 'x')",
        ),
        (
            StackSettings,
            "HITL_UI_PORT",
            "0",
            "HITL_UI_PORT: Input should be greater than or equal to 1 (got '0')",
        ),
        (
            NotificationWorkerSettings,
            "HITL_SMTP_PORT",
            "70000",
            "HITL_SMTP_PORT: Input should be less than or equal to 65535 (got '70000')",
        ),
        (
            AgentWorkerSettings,
            "HITL_METRICS_INTERVAL",
            "0",
            "HITL_METRICS_INTERVAL: Input should be greater than 0 (got '0')",
        ),
        (
            StackSettings,
            "HITL_LOG_LEVEL",
            "LOUD",
            "HITL_LOG_LEVEL: Input should be 'CRITICAL', 'ERROR', 'WARNING', 'INFO' or 'DEBUG' (got 'LOUD')",
        ),
        (
            NotificationWorkerSettings,
            "HITL_SMTP_STARTTLS",
            "maybe",
            "HITL_SMTP_STARTTLS: Input should be a valid boolean, unable to interpret input (got 'maybe')",
        ),
        (
            NotificationWorkerSettings,
            "HITL_EMAIL_TO",
            "managers",
            "HITL_EMAIL_TO: 'managers' is not 'group=address,address'",
        ),
        (
            NotificationWorkerSettings,
            "HITL_NOTIFY_RATES",
            "slack=fast",
            "HITL_NOTIFY_RATES: 'slack=fast' is not 'channel=messages_per_second'",
        ),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(
    env: pytest.MonkeyPatch, model: type[HitlSettings], variable: str, value: str, message: str
) -> None:
    env.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        model.from_env()
    assert str(refused.value) == message


def test_a_refused_secret_is_never_shown() -> None:
    class Keyed(HitlSettings):
        key: SecretStr = Field(min_length=8)
        """A key."""

    with pytest.raises(ValidationError) as refused:
        Keyed(key=SecretStr("short"))
    assert describe(Keyed, refused.value) == (
        "HITL_KEY: Value should have at least 8 items after validation, not 5"
    )


def test_a_worker_with_a_bad_setting_exits_with_the_message_and_no_traceback(env: pytest.MonkeyPatch) -> None:
    env.setenv("HITL_SMTP_PORT", "smtp")
    done = subprocess.run(
        [sys.executable, "-m", "workers.notification"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (
        2,
        "configuration error: HITL_SMTP_PORT: Input should be a valid integer, "
        "unable to parse string as an integer (got 'smtp')\n",
    )


def test_the_configuration_reference_matches_the_models() -> None:
    assert (ROOT / "docs" / "configuration.md").read_text() == render(), (
        "docs/configuration.md is stale: python -m hitl.settings.doc > docs/configuration.md"
    )


def test_every_setting_is_documented() -> None:
    class Undocumented(HitlSettings):
        flag: bool = False

    with pytest.raises(ValueError, match=r"Undocumented.flag has no docstring"):
        render({"probe": Undocumented})


def test_the_deployment_example_names_only_known_variables() -> None:
    known = set(re.findall(r"`((?:HITL|OTEL)_[A-Z_]+)`", render()))
    example = (ROOT / "deploy" / "hitl.env.example").read_text()
    assert set(re.findall(r"^(HITL_[A-Z_]+)=", example, re.MULTILINE)) <= known
