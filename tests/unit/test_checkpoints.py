"""Checkpoint bytes, signatures, keys and expected heads: fixed vectors and each refusal."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hitl.contracts import ChainHead
from hitl.contracts.chain import Anchor
from hitl.errors import ConfigError
from store.anchors import expected_head
from store.checkpoints import anchor_of, append_export, read_export, sign_head
from store.signing import SigningKey, generate_key_file, load_public_keys, load_signing_key, public_path

KEY = SigningKey(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
HEAD = ChainHead(pos=42, hash="ab" * 32)
AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_the_signed_bytes_and_signature_are_fixed() -> None:
    checkpoint = sign_head(KEY, HEAD, AT)
    assert KEY.key_id == "56475aa75463474c"
    assert checkpoint.body == (
        '{"chain_hash":"' + "ab" * 32 + '","chain_pos":42,"key_id":"56475aa75463474c",'
        '"signed_at":"2026-05-01T12:00:00+00:00","v":"hitl-checkpoint-v1"}'
    )
    assert checkpoint.signature == (
        "6194a8bb473dbe9fa1b2f8972c6cd682fe527c9d2a7aba27fd6b3985df28f9dd"
        "bfa75fd1b804343eadba94a6f56ee12d136373aa3f8eb558eb20c7440361260a"
    )


def test_a_valid_checkpoint_anchors_what_its_body_says() -> None:
    checkpoint = sign_head(KEY, HEAD, AT).model_copy(
        update={"id": 7, "chain_pos": 1, "chain_hash": "00" * 32}
    )
    anchor, problem = anchor_of(checkpoint, "database", {KEY.key_id: KEY.public})
    assert problem is None
    assert anchor == Anchor(
        source="database",
        chain_pos=42,
        chain_hash="ab" * 32,
        checkpoint_id=7,
        signed_at=AT,
        key_id=KEY.key_id,
    )


def test_an_altered_body_is_refused() -> None:
    checkpoint = sign_head(KEY, HEAD, AT)
    forged = checkpoint.model_copy(
        update={"body": checkpoint.body.replace('"chain_pos":42', '"chain_pos":40')}
    )
    _, problem = anchor_of(forged, "database", {KEY.key_id: KEY.public})
    assert (
        problem
        == f"the signature does not verify with key {KEY.key_id} (the checkpoint was forged or altered)"
    )


def test_a_checkpoint_by_another_key_is_refused() -> None:
    mallory = SigningKey(Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))
    _, problem = anchor_of(sign_head(mallory, HEAD, AT), "database", {KEY.key_id: KEY.public})
    assert problem == (
        f"signed by key {mallory.key_id}, which is not among the known public keys ({KEY.key_id})"
    )


def test_without_a_public_key_no_checkpoint_is_trusted() -> None:
    _, problem = anchor_of(sign_head(KEY, HEAD, AT), "database", {})
    assert problem == "no public key to check checkpoint signatures (set HITL_AUDIT_PUBLIC_KEY_FILE)"


def test_keys_round_trip_through_files(tmp_path: Path) -> None:
    key = generate_key_file(tmp_path / "k.pem")
    assert (tmp_path / "k.pem").stat().st_mode & 0o777 == 0o600
    assert load_signing_key(tmp_path / "k.pem").key_id == key.key_id
    other = generate_key_file(tmp_path / "old.pem")
    both = tmp_path / "keys.pub"
    both.write_bytes(
        public_path(tmp_path / "k.pem").read_bytes() + public_path(tmp_path / "old.pem").read_bytes()
    )
    assert sorted(load_public_keys(both)) == sorted([key.key_id, other.key_id])
    assert list(load_public_keys(tmp_path / "k.pem")) == [key.key_id]
    with pytest.raises(FileExistsError):
        generate_key_file(tmp_path / "k.pem")


def test_a_file_without_a_key_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "empty.pem").write_text("not a key\n")
    with pytest.raises(ConfigError, match="no PEM key in it"):
        load_public_keys(tmp_path / "empty.pem")
    with pytest.raises(ConfigError, match="audit signing key"):
        load_signing_key(tmp_path / "empty.pem")


def test_the_export_file_holds_one_checkpoint_per_line(tmp_path: Path) -> None:
    first, second = sign_head(KEY, HEAD, AT), sign_head(KEY, ChainHead(pos=50, hash="cd" * 32), AT)
    append_export(tmp_path / "cp.jsonl", first)
    append_export(tmp_path / "cp.jsonl", second)
    assert read_export(tmp_path / "cp.jsonl") == [first, second]
    (tmp_path / "cp.jsonl").write_text("{broken\n")
    with pytest.raises(ConfigError, match="line 1: not a checkpoint"):
        read_export(tmp_path / "cp.jsonl")


def test_expected_heads_parse() -> None:
    assert expected_head("ab" * 32) == Anchor(source="--expect-head", chain_pos=None, chain_hash="ab" * 32)
    assert expected_head("12:" + "AB" * 32).chain_pos == 12
    for bad in ("12:abc", "x:" + "ab" * 32, "zz" * 32):
        with pytest.raises(ConfigError, match="--expect-head"):
            expected_head(bad)
