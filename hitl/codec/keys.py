"""Payload encryption keys, by id, from the settings (`hitl.settings.groups.CodecKeySettings`:
`HITL_CODEC_KEYS` or `HITL_CODEC_KEY_FILE`, and `HITL_CODEC_CURRENT_KEY`) at process start. Every key that ever encrypted a payload still in
Temporal stays listed: a payload names its key id, and a process without that key cannot
read it. Keys never come from history or policy files. A key file holds secrets: it is
created readable by its owner only (`write_key_file`).
"""

import base64
import binascii
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hitl.errors import ConfigError
from hitl.settings.groups import CodecKeySettings

KEY_BYTES = 32
"""AES-256: every key is 32 random bytes."""
KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
"""Key ids travel in payload metadata in the clear: short, no spaces."""

KEYS_VAR = "HITL_CODEC_KEYS"
KEY_FILE_VAR = "HITL_CODEC_KEY_FILE"
CURRENT_VAR = "HITL_CODEC_CURRENT_KEY"
MISSING = (
    f"no payload encryption key: set {KEYS_VAR} (ID=BASE64 entries) or {KEY_FILE_VAR} (a file of "
    "ID=BASE64 lines); `python -m hitl.codec new-key ID` makes one. `make run` creates "
    ".hitl-state/codec-keys for the local stack"
)


@dataclass(frozen=True)
class CodecKeys:
    """AES-256 keys by id and the id new payloads use. The key bytes never appear in `repr`."""

    current: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise ConfigError(f"{CURRENT_VAR} names key {self.current!r}, which is not among the keys")

    @property
    def ids(self) -> list[str]:
        """Every key id held."""
        return list(self.keys)


def new_key() -> str:
    """A fresh random 256-bit key, base64-encoded as the key settings take it."""
    return base64.b64encode(AESGCM.generate_key(bit_length=KEY_BYTES * 8)).decode()


def parse_entries(text: str, where: str) -> dict[str, bytes]:
    """Parse `ID=BASE64` entries separated by commas or new lines (`#` starts a comment).

    Raises:
        ConfigError: an entry is malformed, a key is not 32 bytes, or an id repeats.
    """
    keys: dict[str, bytes] = {}
    uncommented = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    for raw in re.split(r"[,\n]", uncommented):
        entry = raw.strip()
        if not entry:
            continue
        key_id, sep, value = (part.strip() for part in entry.partition("="))
        if not sep or not KEY_ID.match(key_id):
            raise ConfigError(f"{where}: expected ID=BASE64 with an id of letters, digits, '.', '_', '-'")
        try:
            key = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(f"{where}: key {key_id!r} is not valid base64") from None
        if len(key) != KEY_BYTES:
            raise ConfigError(f"{where}: key {key_id!r} has {len(key)} bytes; AES-256 needs {KEY_BYTES}")
        if key_id in keys:
            raise ConfigError(f"{where}: key id {key_id!r} appears twice")
        keys[key_id] = key
    return keys


def load_codec_keys(settings: CodecKeySettings | Mapping[str, str] | None = None) -> CodecKeys:
    """The keys `settings` name (or the environment's, or those of the variables in a mapping).

    Raises:
        ConfigError: no key is configured, both sources are, or a key is malformed.
    """
    if not isinstance(settings, CodecKeySettings):
        settings = CodecKeySettings.from_env(settings)
    inline = settings.codec_keys.get_secret_value().strip() if settings.codec_keys else ""
    if inline and settings.codec_key_file:
        raise ConfigError(f"set {KEYS_VAR} or {KEY_FILE_VAR}, not both")
    if settings.codec_key_file:
        try:
            text = settings.codec_key_file.read_text()
        except OSError as err:
            raise ConfigError(
                f"{KEY_FILE_VAR}: cannot read {settings.codec_key_file}: {err.strerror}"
            ) from None
        keys = parse_entries(text, f"{KEY_FILE_VAR} {settings.codec_key_file}")
    else:
        keys = parse_entries(inline, KEYS_VAR)
    if not keys:
        raise ConfigError(MISSING)
    current = (settings.codec_current_key or "").strip() or next(iter(keys))
    return CodecKeys(current=current, keys=keys)


def write_key_file(path: Path, key_id: str) -> None:
    """Create `path` (owner read/write only) holding one new key; never overwrites a file."""
    if not KEY_ID.match(key_id):
        raise ConfigError(f"key id {key_id!r}: use letters, digits, '.', '_', '-'")
    header = "# temporal-hitl payload keys: ID=BASE64, the current key first. Keep old keys.\n"
    create_secret_file(path, f"{header}{key_id}={new_key()}\n")


def create_secret_file(path: Path, text: str) -> None:
    """Create `path` readable and writable by its owner only, holding `text`.

    Raises:
        FileExistsError: `path` exists (a secret is never overwritten).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def new_token() -> str:
    """A random bearer token for the codec server."""
    return secrets.token_urlsafe(32)
