"""How a second shell finds the local stack: `make run` writes `stack.env`, the CLI reads it.

While it runs, the local stack keeps `stack.env` in its state folder (`HITL_STATE_DIR`, default
`.hitl-state`): the Temporal address and the `HITL_*` settings of its PostgreSQL and policies, one
`NAME=value` line each, quoted for a POSIX shell (so `set -a; . .hitl-state/stack.env` works in a
shell too). It removes the file when it stops. The `hitl` CLI reads the file at start as defaults:
a variable set in the environment wins.
"""

import os
import shlex
from collections.abc import Mapping
from pathlib import Path

from hitl.errors import ConfigError
from hitl.settings.groups import StateSettings

STACK_FILE = "stack.env"
"""File name of the stack's settings in its state folder."""

CLI_VARIABLES = ("TEMPORAL_ADDRESS", "HITL_DATABASE_URL", "HITL_POLICY_DIR")
"""What the local stack hands on to the `hitl` CLI."""


def write_stack_file(state_dir: Path, values: Mapping[str, str]) -> Path:
    """Write `values` to `state_dir/stack.env` (readable by the owner only) and return its path.

    The file is replaced atomically, so a reader never sees half of it.
    """
    path = state_dir / STACK_FILE
    partial = path.with_suffix(".partial")
    lines = ["# written by `make run`; removed when it stops\n"]
    lines += [f"{name}={shlex.quote(value)}\n" for name, value in values.items()]
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.writelines(lines)
    partial.replace(path)
    return path


def read_stack_file(state_dir: Path) -> dict[str, str]:
    """The variables in `state_dir/stack.env`; empty when no local stack runs there.

    Raises:
        ConfigError: The file is not `NAME=value` lines.
    """
    path = state_dir / STACK_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        words = shlex.split(text, comments=True)
    except ValueError as err:
        raise ConfigError(f"{path}: {err}") from None
    values: dict[str, str] = {}
    for word in words:
        name, sep, value = word.partition("=")
        if not sep or not name.isidentifier():
            raise ConfigError(f"{path}: {word!r} is not NAME=value")
        values[name] = value
    return values


def use_local_stack() -> dict[str, str]:
    """Add the running local stack's variables to the process environment where it has none.

    Returns:
        The variables added (none when no local stack runs in `HITL_STATE_DIR`).

    Raises:
        ConfigError: `HITL_STATE_DIR` is not a valid path, or the stack file is malformed.
    """
    found = read_stack_file(StateSettings.from_env().state_dir)
    added = {name: value for name, value in found.items() if not os.environ.get(name)}
    os.environ.update(added)
    return added
