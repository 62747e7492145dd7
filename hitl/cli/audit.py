"""`hitl audit show TASK` and `hitl audit verify`: read and check the audit trail."""

import argparse
import json
import sys
from typing import Any

from hitl.cli import exit_codes
from hitl.cli.database import DatabaseUnavailable, add_dsn_option, connection, fail
from hitl.reporting.timeline import render_timeline
from store.audit_read import task_events
from store.chain import verify_chain


def register(commands: Any) -> None:
    """Add the `audit` command group."""
    audit = commands.add_parser("audit", help="read and verify the audit trail")
    sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    show = sub.add_parser("show", help="print one task's audit trail as a timeline")
    show.add_argument("task_id", metavar="TASK", help="task id (the workflow id)")
    show.add_argument("--json", action="store_true", help="print the events as JSON lines")
    add_dsn_option(show)
    show.set_defaults(handler=show_command)
    verify = sub.add_parser("verify", help="recompute the hash chain; name the first broken row")
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    add_dsn_option(verify)
    verify.set_defaults(handler=verify_command)


async def show_command(args: argparse.Namespace) -> int:
    """Print the task's events, oldest first; exit 4 when the task has none."""
    try:
        async with connection(args) as conn:
            events = await task_events(conn, args.task_id)
    except DatabaseUnavailable as err:
        return fail("hitl audit show", err)
    if not events:
        print(f"hitl audit show: no audit events for task {args.task_id!r}", file=sys.stderr)
        return exit_codes.NOT_FOUND
    if args.json:
        for e in events:
            print(e.model_dump_json())
    else:
        print(render_timeline(args.task_id, events))
    return exit_codes.OK


async def verify_command(args: argparse.Namespace) -> int:
    """Exit 0 when the chain holds, 1 with the first broken row when it does not."""
    try:
        async with connection(args) as conn:
            report = await verify_chain(conn)
    except DatabaseUnavailable as err:
        return fail("hitl audit verify", err)
    if args.json:
        print(json.dumps(report.model_dump(mode="json")))
    elif report.broken is None:
        print(f"audit chain intact: {report.rows} events, head {report.head or '(empty)'}")
    else:
        b = report.broken
        print(
            f"audit chain BROKEN at row id {b.id} (position {b.chain_pos}, event {b.event_key},"
            f" task {b.task_id}, kind {b.kind}): {b.problem}\n"
            f"{report.rows} events before it verify; last intact hash {report.head or '(none)'}"
        )
    return exit_codes.OK if report.broken is None else exit_codes.FAILURE
