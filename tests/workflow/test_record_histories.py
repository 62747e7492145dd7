"""Record the histories the replay gate replays. Run on purpose, never in CI:

    HITL_RECORD_HISTORIES=1 .venv/bin/pytest tests/workflow/test_record_histories.py

Re-record only when a change is meant to alter what workflows do *and* no run of the old code can
still be open; otherwise keep the histories and guard the change with `workflow.patched()`.

Recordings are encrypted under the test keys (`tests.codec_keys`). The histories recorded before
payload encryption stay as they are: replaying them proves the codec reads unencrypted payloads;
`approved_encrypted` proves it reads its own. Record one with `-k NAME`.
"""

import os
from pathlib import Path

import pytest

from tests.workflow.conftest import Handle, Harness
from tests.workflow.scenarios import SCENARIOS

HISTORIES = Path(__file__).parents[1] / "histories"

pytestmark = pytest.mark.skipif(
    os.environ.get("HITL_RECORD_HISTORIES") != "1",
    reason="records replay histories only when HITL_RECORD_HISTORIES=1",
)


async def save(name: str, handle: Handle) -> None:
    await handle.result()
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(history.to_json())


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_record(harness: Harness, name: str) -> None:
    await save(name, await SCENARIOS[name](harness))
