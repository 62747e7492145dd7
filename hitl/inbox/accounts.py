"""Local inbox accounts: a file of names and argon2 password hashes (`HITL_INBOX_ACCOUNTS_FILE`).

One JSON object per line, `{"name": "alice", "hash": "$argon2id$..."}`; the name is the reviewer's
name in the policies' directory. Passwords are hashed and checked by argon2-cffi (Argon2id, its
recommended parameters); the file never holds a password. `python -m hitl.inbox add-account NAME`
adds or replaces one; `make run` makes demo accounts with random passwords (`make_demo_accounts`).
"""

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hitl.errors import ConfigError

_HASHER = PasswordHasher()
_UNKNOWN = _HASHER.hash(secrets.token_urlsafe(16))
"""Checked for unknown names too, so a login takes as long whether or not the name exists."""


@dataclass(frozen=True)
class Accounts:
    """Name -> argon2 hash, as read from the accounts file."""

    hashes: dict[str, str]

    @classmethod
    def load(cls, path: Path | None) -> "Accounts":
        """Read the accounts file; no file configured means no local accounts.

        Raises:
            ConfigError: The file is missing or a line is not an account.
        """
        if path is None:
            return cls({})
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise ConfigError(f"HITL_INBOX_ACCOUNTS_FILE: cannot read {path}: {err}") from err
        hashes: dict[str, str] = {}
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                hashes[str(record["name"])] = str(record["hash"])
            except (ValueError, KeyError, TypeError) as err:
                raise ConfigError(f"{path}:{number}: not an account line ({err})") from err
        return cls(hashes)

    def check(self, name: str, password: str) -> bool:
        """Whether `password` is `name`'s; the same work is done for an unknown name."""
        stored = self.hashes.get(name)
        try:
            return _HASHER.verify(stored or _UNKNOWN, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _HASHER.hash(password)


def save(path: Path, hashes: dict[str, str]) -> None:
    """Write the accounts file (mode 0600), replacing it whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(
        json.dumps({"name": n, "hash": h}, sort_keys=True) + "\n" for n, h in sorted(hashes.items())
    )
    _write_private(path, text)


def make_demo_accounts(accounts_file: Path, logins_file: Path, names: list[str]) -> dict[str, str]:
    """Give each of `names` an account with a random password unless it has one; return every
    demo login (name -> password), as kept in `logins_file` (mode 0600, `name password` lines)."""
    logins = read_demo_logins(logins_file)
    hashes = Accounts.load(accounts_file).hashes if accounts_file.exists() else {}
    for name in names:
        if name not in hashes or name not in logins:
            logins[name] = secrets.token_urlsafe(9)
            hashes[name] = hash_password(logins[name])
    save(accounts_file, hashes)
    logins_file.parent.mkdir(parents=True, exist_ok=True)
    _write_private(logins_file, "".join(f"{n} {p}\n" for n, p in sorted(logins.items())))
    return logins


def read_demo_logins(path: Path) -> dict[str, str]:
    """The demo logins file as name -> password (empty when it does not exist)."""
    if not path.exists():
        return {}
    pairs = (line.split(" ", 1) for line in path.read_text(encoding="utf-8").splitlines() if " " in line)
    return {name: password for name, password in pairs}


def _write_private(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".new")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(partial, path)
