"""`hitl audit verify`: recompute the evidence chain and hold it to its checkpoints and heads.

Exit 0 when every row recomputes, every anchor holds and no key arrived twice; 1 with each
problem named (the first broken row, each checkpoint or head that does not hold, each key
conflict); 2 for an unreadable key or checkpoint file or a malformed `--expect-head`.
"""

import argparse
import json
from pathlib import Path
from typing import Any

from hitl.cli import exit_codes
from hitl.cli.database import DatabaseUnavailable, add_dsn_option, connection, fail
from hitl.contracts.chain import Anchor, ChainReport
from hitl.errors import ConfigError
from hitl.settings import CliSettings
from store.anchors import Anchors
from store.chain import verify_chain

COMMAND = "hitl audit verify"


def add_parser(sub: Any) -> None:
    """Add `verify` to the `audit` group."""
    verify = sub.add_parser(
        "verify", help="recompute the hash chain, hold it to its checkpoints; name what is broken"
    )
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    verify.add_argument(
        "--expect-head",
        action="append",
        metavar="[POS:]HASH",
        help="a head witnessed elsewhere (a task's audit_head, a ticket): the chain must hold it (repeatable)",
    )
    verify.add_argument(
        "--checkpoints",
        action="append",
        type=Path,
        metavar="FILE",
        help="checkpoint export file (repeatable; default: HITL_AUDIT_CHECKPOINT_FILE)",
    )
    verify.add_argument(
        "--public-key",
        type=Path,
        metavar="FILE",
        help="PEM public keys of the checkpoint signers (default: HITL_AUDIT_PUBLIC_KEY_FILE, else "
        "the public half of HITL_AUDIT_KEY_FILE)",
    )
    add_dsn_option(verify)
    verify.set_defaults(handler=verify_command)


async def verify_command(args: argparse.Namespace) -> int:
    """Verify and print the report."""
    try:
        anchors = Anchors.load(
            CliSettings.from_env(),
            public_key_file=args.public_key,
            checkpoint_files=args.checkpoints,
            expect_heads=args.expect_head,
        )
    except ConfigError as err:
        return fail(COMMAND, DatabaseUnavailable(str(err), exit_codes.USAGE))
    try:
        async with connection(args) as conn:
            report = await verify_chain(conn, anchors)
    except DatabaseUnavailable as err:
        return fail(COMMAND, err)
    print(json.dumps(report.model_dump(mode="json")) if args.json else render(report))
    return exit_codes.OK if report.ok else exit_codes.FAILURE


def describe(anchor: Anchor) -> str:
    """`checkpoint #7 (position 40, signed ..., key ..., from database)` or the expected head."""
    if anchor.signed_at is None:
        where = f"position {anchor.chain_pos}" if anchor.chain_pos is not None else "any position"
        return f"expected head {anchor.chain_hash} ({where}, from {anchor.source})"
    number = f" #{anchor.checkpoint_id}" if anchor.checkpoint_id is not None else ""
    return (
        f"checkpoint{number} (position {anchor.chain_pos}, signed {anchor.signed_at.isoformat()} by key "
        f"{anchor.key_id}, from {anchor.source})"
    )


def render(report: ChainReport) -> str:
    """The report as text: a headline, then one line per problem."""
    lines = []
    b = report.broken
    if b is not None:
        table = "" if b.table == "audit_events" else f"{b.table} "
        lines += [
            f"audit chain BROKEN at {table}row id {b.id} (position {b.chain_pos}, event {b.event_key},"
            f" task {b.task_id}, kind {b.kind}): {b.problem}",
            f"{report.rows} events before it verify; last intact hash {report.head or '(none)'}",
        ]
    elif report.ok:
        lines.append(f"audit chain intact: {report.rows} events, head {report.head or '(empty)'}")
    else:
        lines.append(
            f"audit chain NOT VERIFIED: {report.rows} events recompute (head {report.head or '(empty)'}), but:"
        )
    lines += [f"  {describe(p.anchor)}: {p.problem}" for p in report.checkpoint_problems]
    lines += [
        f"  key {c.key} arrived again with different content (task {c.task_id}): recorded as row id "
        f"{c.id} at position {c.chain_pos}; the row stored first under that key is not what its writer wrote"
        for c in report.conflicts
    ]
    if report.ok and report.checkpoint is not None:
        lines.append(f"holds to {describe(report.checkpoint)}")
    return "\n".join(lines)
