"""Whether the autonomy evidence verifies: the check every promotion waits for.

The track record (feedback rows, `reverted` audit events) and the stage changes are rows of the
evidence chain; a promotion reads them only after the whole chain recomputes and holds to its
checkpoints, so a superuser who edits a decision, or drops a revert, promotes nothing.
"""

from collections.abc import Callable

import asyncpg

from hitl.contracts.chain import ChainReport
from store.anchors import Anchors
from store.chain import check_chain

AnchorSource = Callable[[], Anchors]
"""Loads the keys and exported checkpoints to verify with (only when a promotion needs them)."""


async def evidence_check(conn: asyncpg.Connection, anchors: AnchorSource | None) -> ChainReport:
    """Recompute the evidence chain in the caller's transaction and hold it to its anchors."""
    return await check_chain(conn, anchors() if anchors is not None else None)


def failure(report: ChainReport) -> str:
    """The first thing that fails in a chain report, in a line."""
    if report.broken is not None:
        b = report.broken
        return f"{b.table} row id {b.id} at position {b.chain_pos}: {b.problem}"
    if report.checkpoint_problems:
        p = report.checkpoint_problems[0]
        return f"anchor at position {p.anchor.chain_pos} from {p.anchor.source}: {p.problem}"
    if report.conflicts:
        c = report.conflicts[0]
        return f"key {c.key} arrived again with different content (row id {c.id})"
    return "verifies"
