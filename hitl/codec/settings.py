"""Settings of the codec server process, read at its start (the keys: `hitl.codec.keys`).

| variable | meaning | default |
|---|---|---|
| `HITL_CODEC_SERVER_TOKEN` | bearer token callers must present (16+ characters) | none: required |
| `HITL_CODEC_SERVER_HOST` | address to listen on | `127.0.0.1` (loopback only) |
| `HITL_CODEC_SERVER_PORT` | port to listen on | `8234` |
| `HITL_CODEC_SERVER_ORIGINS` | comma-separated Web UI origins CORS allows | the origin of `HITL_UI_URL` (`http://localhost:8233`) and its `127.0.0.1` twin |
"""

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from hitl.errors import ConfigError

DEFAULT_PORT = 8234
"""Next to the Web UI's 8233."""


class CodecServerSettings(BaseModel):
    """Where the codec server listens, whom CORS admits, the token it requires."""

    model_config = ConfigDict(frozen=True)

    token: SecretStr
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    origins: tuple[str, ...]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "CodecServerSettings":
        """Read the settings from the environment (or `env`).

        Raises:
            ConfigError: the token is missing or short, or the port is not a number.
        """
        source = os.environ if env is None else env
        token = source.get("HITL_CODEC_SERVER_TOKEN", "")
        if len(token) < 16:
            raise ConfigError("HITL_CODEC_SERVER_TOKEN must be set to a random token of 16+ characters")
        origins = [o.strip() for o in source.get("HITL_CODEC_SERVER_ORIGINS", "").split(",") if o.strip()]
        try:
            return cls(
                token=SecretStr(token),
                host=source.get("HITL_CODEC_SERVER_HOST") or "127.0.0.1",
                port=int(source.get("HITL_CODEC_SERVER_PORT") or DEFAULT_PORT),
                origins=tuple(origins or ui_origins(source.get("HITL_UI_URL") or "http://localhost:8233")),
            )
        except (ValueError, ValidationError) as err:
            raise ConfigError(f"codec server settings: {err}") from None


def ui_origins(ui_url: str) -> list[str]:
    """The browser origins of a Web UI address: as given, plus its localhost/127.0.0.1 twin."""
    parts = urlsplit(ui_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    twins = {"localhost": "127.0.0.1", "127.0.0.1": "localhost"}
    twin = twins.get(parts.hostname or "")
    if twin is None:
        return [origin]
    return [origin, origin.replace(f"//{parts.hostname}", f"//{twin}", 1)]
