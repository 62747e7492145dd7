"""The AES-GCM payload codec and its keys: encryption, rotation, pass-through, clear errors."""

import asyncio
import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload

from hitl.codec import CodecKeys, encrypted_data_converter, load_codec_keys
from hitl.codec.aesgcm import AesGcmCodec
from hitl.codec.keys import MISSING, new_key, write_key_file
from hitl.errors import CodecDecryptError, CodecKeyError, ConfigError
from tests.support import run_hitl

SECRET = {"customer_email": "kim@example.com", "comment": "refund the broken lamp"}


def keys(*ids: str, current: str | None = None) -> CodecKeys:
    return load_codec_keys(
        {
            "HITL_CODEC_KEYS": ",".join(f"{i}={new_key()}" for i in ids),
            "HITL_CODEC_CURRENT_KEY": current or "",
        }
    )


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


async def test_a_value_travels_encrypted_under_the_current_key_and_comes_back() -> None:
    converter = encrypted_data_converter(keys("k1"))
    [payload] = await converter.encode([SECRET])
    assert dict(payload.metadata) == {"encoding": b"binary/encrypted", "encryption-key-id": b"k1"}
    assert b"kim@example.com" not in payload.data and b"lamp" not in payload.data
    assert await converter.decode([payload], [dict]) == [SECRET]


async def test_the_same_value_encrypts_differently_each_time() -> None:
    codec = AesGcmCodec(keys("k1"))
    first, second = await codec.encode([plain('"x"'), plain('"x"')])
    assert first.data != second.data


async def test_after_a_rotation_new_payloads_use_the_new_key_and_old_ones_still_read() -> None:
    old = keys("k1")
    rotated = CodecKeys(current="k2", keys={"k2": base64.b64decode(new_key()), **old.keys})
    [before] = await AesGcmCodec(old).encode([plain('"before"')])
    [after] = await AesGcmCodec(rotated).encode([plain('"after"')])
    assert (before.metadata["encryption-key-id"], after.metadata["encryption-key-id"]) == (b"k1", b"k2")
    assert await AesGcmCodec(rotated).decode([before, after]) == [plain('"before"'), plain('"after"')]


async def test_plaintext_payloads_pass_through_so_old_histories_replay() -> None:
    codec = AesGcmCodec(keys("k1"))
    unencrypted = [plain('{"a": 1}'), Payload(metadata={"encoding": b"binary/null"})]
    assert await codec.decode(unencrypted) == unencrypted


async def test_a_payload_under_a_key_not_held_is_a_clear_error() -> None:
    [payload] = await AesGcmCodec(keys("k9")).encode([plain('"x"')])
    with pytest.raises(CodecKeyError) as err:
        await AesGcmCodec(keys("k2", "k1")).decode([payload])
    assert str(err.value) == (
        "payload is encrypted under codec key 'k9', which this process does not hold (it holds "
        "['k1', 'k2']): add that key to HITL_CODEC_KEYS or HITL_CODEC_KEY_FILE; keep old keys listed "
        "after a rotation"
    )


async def test_other_key_material_under_the_same_id_is_a_clear_error() -> None:
    [payload] = await AesGcmCodec(keys("k1")).encode([plain('"x"')])
    with pytest.raises(CodecDecryptError) as err:
        await AesGcmCodec(keys("k1")).decode([payload])
    assert str(err.value) == (
        "payload under codec key 'k1' fails authentication: this process's key 'k1' is not the one "
        "that encrypted it, or the payload was altered"
    )


async def test_an_altered_payload_or_relabelled_key_id_fails_authentication() -> None:
    both = keys("k1", "k2")
    codec = AesGcmCodec(both)
    [payload] = await codec.encode([plain('"x"')])
    flipped = Payload(metadata=payload.metadata, data=payload.data[:-1] + bytes([payload.data[-1] ^ 1]))
    relabelled = Payload(metadata={**payload.metadata, "encryption-key-id": b"k2"}, data=payload.data)
    for bad in (flipped, relabelled):
        with pytest.raises(CodecDecryptError):
            await codec.decode([bad])


def test_no_key_configured_says_how_to_set_one() -> None:
    with pytest.raises(ConfigError) as err:
        load_codec_keys({})
    assert str(err.value) == MISSING


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"HITL_CODEC_KEYS": "k1=AAAA", "HITL_CODEC_KEY_FILE": "/x"},
            "set HITL_CODEC_KEYS or HITL_CODEC_KEY_FILE, not both",
        ),
        (
            {"HITL_CODEC_KEYS": "k1"},
            "HITL_CODEC_KEYS: expected ID=BASE64 with an id of letters, digits, '.', '_', '-'",
        ),
        ({"HITL_CODEC_KEYS": "k1=not base64!"}, "HITL_CODEC_KEYS: key 'k1' is not valid base64"),
        ({"HITL_CODEC_KEYS": "k1=AAAA"}, "HITL_CODEC_KEYS: key 'k1' has 3 bytes; AES-256 needs 32"),
        (
            {"HITL_CODEC_KEYS": f"k1={new_key()},k1={new_key()}"},
            "HITL_CODEC_KEYS: key id 'k1' appears twice",
        ),
        (
            {"HITL_CODEC_KEYS": f"k1={new_key()}", "HITL_CODEC_CURRENT_KEY": "k2"},
            "HITL_CODEC_CURRENT_KEY names key 'k2', which is not among the keys",
        ),
        (
            {"HITL_CODEC_KEY_FILE": "/no/such/file"},
            "HITL_CODEC_KEY_FILE: cannot read /no/such/file: No such file or directory",
        ),
    ],
)
def test_bad_key_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_codec_keys(env)
    assert str(err.value) == message


def test_the_first_key_is_current_unless_one_is_named() -> None:
    entries = f"k2={new_key()}, k1={new_key()}"
    assert load_codec_keys({"HITL_CODEC_KEYS": entries}).current == "k2"
    named = load_codec_keys({"HITL_CODEC_KEYS": entries, "HITL_CODEC_CURRENT_KEY": "k1"})
    assert (named.current, named.ids) == ("k1", ["k2", "k1"])


def test_a_key_file_is_private_never_overwritten_and_takes_comments(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    write_key_file(path, "local-1")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_key_file(path, "local-2")
    path.write_text(f"# rotated, the new key first\nlocal-2={new_key()}  # since today\n" + path.read_text())
    loaded = load_codec_keys({"HITL_CODEC_KEY_FILE": str(path)})
    assert (loaded.current, loaded.ids) == ("local-2", ["local-2", "local-1"])


def test_key_material_never_shows_in_repr() -> None:
    loaded = keys("k1")
    assert repr(loaded) == "CodecKeys(current='k1')"


CODEC_VARS = ("HITL_CODEC_KEYS", "HITL_CODEC_KEY_FILE", "HITL_CODEC_CURRENT_KEY")


async def test_the_hitl_cli_without_a_key_says_how_to_set_one() -> None:
    done = await run_hitl("inbox", unset=CODEC_VARS)
    assert (done.returncode, done.stderr.strip()) == (5, f"hitl inbox: {MISSING}")


async def test_the_codec_server_does_not_start_without_its_token_or_a_key() -> None:
    for env, message in (
        ({}, "HITL_CODEC_SERVER_TOKEN: Field required"),
        ({"HITL_CODEC_SERVER_TOKEN": "x" * 20, "HITL_CODEC_KEYS": ""}, MISSING),
    ):
        started = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "workers.codec_server"],
            env={**{k: v for k, v in os.environ.items() if not k.startswith("HITL_CODEC_SERVER")}, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert started.returncode == 2
        assert started.stderr.strip() == f"configuration error: {message}", started.stderr
