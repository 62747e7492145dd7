"""Local inbox accounts: argon2 hashes in a private file, demo accounts made once."""

import stat
from pathlib import Path

import pytest

from hitl.errors import ConfigError
from hitl.inbox.accounts import Accounts, hash_password, make_demo_accounts, read_demo_logins, save


def test_a_password_checks_against_its_hash_only(tmp_path: Path) -> None:
    path = tmp_path / "accounts.jsonl"
    save(path, {"alice": hash_password("correct horse")})
    accounts = Accounts.load(path)
    assert accounts.hashes["alice"].startswith("$argon2id$")
    assert "correct horse" not in path.read_text()
    assert (accounts.check("alice", "correct horse"), accounts.check("alice", "wrong")) == (True, False)
    assert accounts.check("mallory", "correct horse") is False
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_broken_accounts_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "accounts.jsonl"
    path.write_text('{"name": "alice", "hash": "x"}\nnot json\n')
    with pytest.raises(ConfigError, match=r"accounts.jsonl:2: not an account line"):
        Accounts.load(path)
    with pytest.raises(ConfigError, match="HITL_INBOX_ACCOUNTS_FILE: cannot read"):
        Accounts.load(tmp_path / "missing.jsonl")


def test_demo_accounts_are_made_once_and_kept(tmp_path: Path) -> None:
    accounts, logins = tmp_path / "accounts.jsonl", tmp_path / "demo-logins.txt"
    first = make_demo_accounts(accounts, logins, ["alice", "bob"])
    assert sorted(first) == ["alice", "bob"]
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    again = make_demo_accounts(accounts, logins, ["alice", "bob", "carol"])
    assert {k: again[k] for k in ("alice", "bob")} == first
    assert read_demo_logins(logins) == again
    loaded = Accounts.load(accounts)
    assert all(loaded.check(name, password) for name, password in again.items())
