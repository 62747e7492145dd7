"""The local stack's `stack.env`: written for a POSIX shell, read back exactly, used by the CLI as
defaults the environment overrides."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hitl.errors import ConfigError
from hitl.settings.stack_file import read_stack_file, use_local_stack, write_stack_file

VALUES = {
    "TEMPORAL_ADDRESS": "127.0.0.1:7233",
    "HITL_DATABASE_URL": "postgresql://postgres@/postgres?host=/tmp/odd dir/it's",
    "HITL_POLICY_DIR": "/srv/hitl policies",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No TEMPORAL_ or HITL_ variable of the caller's; the state folder in `tmp_path`."""
    for name in list(os.environ):
        if name.startswith(("HITL_", "TEMPORAL_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HITL_STATE_DIR", str(tmp_path))
    return monkeypatch


def test_the_file_reads_back_exactly_and_only_its_owner_reads_it(tmp_path: Path) -> None:
    path = write_stack_file(tmp_path, VALUES)
    assert read_stack_file(tmp_path) == VALUES
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_shell_reads_the_same_values(tmp_path: Path) -> None:
    path = write_stack_file(tmp_path, VALUES)
    shown = subprocess.run(
        ["sh", "-c", f'set -a; . "{path}"; printf "%s\\n" "$HITL_DATABASE_URL" "$HITL_POLICY_DIR"'],
        capture_output=True,
        text=True,
        check=True,
        env={},
    )
    assert shown.stdout.splitlines() == [VALUES["HITL_DATABASE_URL"], VALUES["HITL_POLICY_DIR"]]


def test_no_file_no_values(tmp_path: Path) -> None:
    assert read_stack_file(tmp_path) == {}


@pytest.mark.parametrize("text", ["JUST_A_NAME\n", "A='unclosed\n", "9X=1\n"])
def test_a_malformed_file_is_a_config_error_naming_it(tmp_path: Path, text: str) -> None:
    (tmp_path / "stack.env").write_text(text)
    with pytest.raises(ConfigError, match=r"stack\.env"):
        read_stack_file(tmp_path)


def test_the_environment_wins_over_the_file(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_stack_file(tmp_path, VALUES)
    env.setenv("TEMPORAL_ADDRESS", "temporal.internal:7233")
    added = use_local_stack()
    assert added == {k: v for k, v in VALUES.items() if k != "TEMPORAL_ADDRESS"}
    assert os.environ["TEMPORAL_ADDRESS"] == "temporal.internal:7233"
    assert os.environ["HITL_DATABASE_URL"] == VALUES["HITL_DATABASE_URL"]


def test_the_cli_uses_the_running_stack_database(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without the file `hitl audit verify` stops at "HITL_DATABASE_URL is not set" (exit 2); with
    it, the command tries the stack's database (here one that is down: exit 5)."""
    hitl = [sys.executable, "-c", "from hitl.cli import main; main()", "audit", "verify"]
    alone = subprocess.run(hitl, capture_output=True, text=True, timeout=60, check=False)
    assert (alone.returncode, "HITL_DATABASE_URL is not set" in alone.stderr) == (2, True)
    write_stack_file(tmp_path, {"HITL_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    found = subprocess.run(hitl, capture_output=True, text=True, timeout=60, check=False)
    assert (found.returncode, "cannot reach PostgreSQL" in found.stderr) == (5, True), found.stderr
