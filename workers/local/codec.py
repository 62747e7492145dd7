"""Payload encryption for the local stack: its keys, its codec server, the lines it prints.

The stack uses the keys the environment configures (`HITL_CODEC_KEYS` / `HITL_CODEC_KEY_FILE`);
without any, it creates `codec-keys` in its state folder once (owner-only) and keeps using it,
so tasks from an earlier run stay readable. The codec server's token is kept the same way in
`codec-token`, so exported CLI settings survive a restart.
"""

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hitl.codec.keys import (
    CURRENT_VAR,
    KEY_FILE_VAR,
    KEYS_VAR,
    CodecKeys,
    create_secret_file,
    load_codec_keys,
    new_token,
    write_key_file,
)
from hitl.codec.settings import ui_origins
from workers.local.processes import Child

LOCAL_KEY_ID = "local-1"


@dataclass(frozen=True)
class StackCodec:
    """The stack's keys (and the environment its processes need for them) and codec server."""

    keys: CodecKeys
    key_env: dict[str, str]
    """Variables that give a child process the stack's keys (empty when they are inherited)."""
    token: str
    port: int

    @property
    def endpoint(self) -> str:
        """The codec server for the `temporal` CLI (with the bearer token)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ui_endpoint(self) -> str:
        """The codec server for the dev server's Web UI, which sends no header: token in the path."""
        return f"{self.endpoint}/{self.token}"

    def cli_flags(self) -> str:
        """`temporal` CLI flags that send and show payloads through the codec server."""
        return f"--codec-endpoint {self.endpoint} --codec-auth 'Bearer {self.token}'"

    def cli_exports(self) -> str:
        """The same for a shell, as environment variables the `temporal` CLI reads."""
        return f"export TEMPORAL_CODEC_ENDPOINT={self.endpoint} TEMPORAL_CODEC_AUTH='Bearer {self.token}'"

    def server(self, ui_url: str, log_file: Path) -> Child:
        """The codec server process, CORS open to the Web UI at `ui_url`."""
        env = {
            **self.key_env,
            "HITL_CODEC_SERVER_TOKEN": self.token,
            "HITL_CODEC_SERVER_HOST": "127.0.0.1",
            "HITL_CODEC_SERVER_PORT": str(self.port),
            "HITL_CODEC_SERVER_ORIGINS": ",".join(ui_origins(ui_url)),
        }
        return Child("codec-server", [sys.executable, "-m", "workers.codec_server"], log_file, env)


def stack_codec(state: Path, port: int, env: Mapping[str, str] | None = None) -> StackCodec:
    """The stack's keys and token: from the environment, or the state folder's own files.

    Raises:
        ConfigError: The environment configures keys that do not load.
    """
    source = os.environ if env is None else env
    if source.get(KEYS_VAR, "").strip() or source.get(KEY_FILE_VAR, "").strip():
        key_env: dict[str, str] = {}
        keys = load_codec_keys(source)
    else:
        key_file = state / "codec-keys"
        if not key_file.exists():
            write_key_file(key_file, LOCAL_KEY_ID)
        key_env = {KEY_FILE_VAR: str(key_file), KEYS_VAR: "", CURRENT_VAR: source.get(CURRENT_VAR, "")}
        keys = load_codec_keys(key_env)
    token_file = state / "codec-token"
    if not token_file.exists():
        create_secret_file(token_file, new_token())
    return StackCodec(keys=keys, key_env=key_env, token=token_file.read_text().strip(), port=port)
