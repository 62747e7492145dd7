"""Record the histories the replay gate replays. Run on purpose, never in CI:

    HITL_RECORD_HISTORIES=1 .venv/bin/pytest tests/workflow/test_record_histories.py

Re-record only when a change is meant to alter what workflows do *and* no run of the old code can
still be open; otherwise keep the histories and guard the change with `workflow.patched()`.

Recordings are encrypted under the test keys (`tests.codec_keys`), except those in `PLAINTEXT`,
whose payloads are decrypted before they are saved, as a task from before payload encryption would
have them: replaying those proves the codec still reads unencrypted payloads, and
`approved_encrypted` that it reads its own. Record one with `-k NAME`.
"""

import json
import os
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload

from hitl.codec.aesgcm import AesGcmCodec
from tests.codec_keys import TEST_KEYS
from tests.history_payloads import payloads
from tests.workflow.conftest import Handle, Harness
from tests.workflow.scenarios import SCENARIOS

PLAINTEXT = {"approved"}
"""Scenarios saved with their payloads in the clear."""

HISTORIES = Path(__file__).parents[1] / "histories"

pytestmark = pytest.mark.skipif(
    os.environ.get("HITL_RECORD_HISTORIES") != "1",
    reason="records replay histories only when HITL_RECORD_HISTORIES=1",
)


async def save(name: str, handle: Handle) -> None:
    await handle.result()
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    text = history.to_json()
    if name in PLAINTEXT:
        text = await decrypted(text)
    (HISTORIES / f"{name}.json").write_text(text)


async def decrypted(text: str) -> str:
    """The history JSON with every encrypted payload replaced by its plaintext."""
    history: Any = json.loads(text)
    codec = AesGcmCodec(TEST_KEYS)
    for found in payloads(history):
        (plain,) = await codec.decode([json_format.ParseDict(found, Payload())])
        found.clear()
        found.update(json_format.MessageToDict(plain))
    return json.dumps(history)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_record(harness: Harness, name: str) -> None:
    harness.fixed_id = name  # the replay gate replays under the file's name
    await save(name, await SCENARIOS[name](harness))
