"""`hitl audit show TASK`, `hitl audit verify` and `hitl audit keygen`: read and check the audit
trail, make the checkpoint signing key."""

import argparse
import sys
from pathlib import Path
from typing import Any

from hitl.cli import audit_verify, exit_codes
from hitl.cli.database import DatabaseUnavailable, add_dsn_option, connection, fail
from hitl.reporting.timeline import render_timeline
from store.audit_read import task_events
from store.signing import generate_key_file, public_path


def register(commands: Any) -> None:
    """Add the `audit` command group."""
    audit = commands.add_parser("audit", help="read and verify the audit trail")
    sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    show = sub.add_parser("show", help="print one task's audit trail as a timeline")
    show.add_argument("task_id", metavar="TASK", help="task id (the workflow id)")
    show.add_argument("--json", action="store_true", help="print the events as JSON lines")
    add_dsn_option(show)
    show.set_defaults(handler=show_command)
    audit_verify.add_parser(sub)
    keygen = sub.add_parser("keygen", help="make the Ed25519 key that signs chain checkpoints")
    keygen.add_argument(
        "path", type=Path, help="private key file to create (its public key goes to PATH.pub)"
    )
    keygen.set_defaults(handler=keygen_command)


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


async def keygen_command(args: argparse.Namespace) -> int:
    """Write a new key (never over an existing file); print where the public key went."""
    try:
        key = generate_key_file(args.path)
    except OSError as err:
        print(f"hitl audit keygen: {err}", file=sys.stderr)
        return exit_codes.USAGE
    print(
        f"signing key {key.key_id} written to {args.path} (keep it outside the database, readable by "
        f"the workers only); public key: {public_path(args.path)}"
    )
    return exit_codes.OK
