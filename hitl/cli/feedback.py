"""`hitl feedback export`: every human decision as JSON lines, for fine-tuning or prompt updates."""

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from hitl.cli import exit_codes
from hitl.cli.database import DatabaseUnavailable, add_dsn_option, connection, fail
from hitl.contracts.report import FeedbackFilter
from store.feedback_export import iter_feedback

RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)([dhm])$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`7d`, `12h`, `30m` (before now), or an ISO date / date-time (UTC when no offset is given).

    Raises:
        ValueError: The text is neither.
    """
    match = RELATIVE.match(text.strip())
    if match:
        amount, unit = match.groups()
        return (now or datetime.now(UTC)) - timedelta(**{UNITS[unit]: float(amount)})
    at = datetime.fromisoformat(text.strip())
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """`--since`, `--kind`, `--action`: shared by `feedback export` and `report`."""
    parser.add_argument("--since", help="only decisions since: 7d, 12h, or an ISO date/time (UTC)")
    parser.add_argument("--kind", help="only this task kind (e.g. refund)")
    parser.add_argument("--action", help="only this action type (tool name, e.g. issue_refund)")


def feedback_filter(args: argparse.Namespace, **extra: Any) -> FeedbackFilter:
    """The filter the shared options describe.

    Raises:
        ValueError: `--since` does not parse.
    """
    since = parse_since(args.since) if args.since else None
    return FeedbackFilter(since=since, task_kind=args.kind, action_type=args.action, **extra)


def register(commands: Any) -> None:
    """Add the `feedback` command group."""
    feedback = commands.add_parser("feedback", help="the feedback store (human decisions)")
    sub = feedback.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")
    export = sub.add_parser("export", help="write feedback rows as JSON lines to stdout")
    add_filter_options(export)
    export.add_argument(
        "--request-kind", choices=["approval", "question", "incident", "post_review"], help="only this kind"
    )
    export.add_argument(
        "--human-only", action="store_true", help="leave out requests settled by a timeout fallback"
    )
    add_dsn_option(export)
    export.set_defaults(handler=export_command)


async def export_command(args: argparse.Namespace) -> int:
    """Stream matching rows as JSONL; the count goes to stderr."""
    try:
        where = feedback_filter(args, request_kind=args.request_kind, include_fallbacks=not args.human_only)
    except ValueError as err:
        print(f"hitl feedback export: bad --since: {err}", file=sys.stderr)
        return exit_codes.USAGE
    count = 0
    try:
        async with connection(args) as conn:
            async for example in iter_feedback(conn, where):
                sys.stdout.write(example.model_dump_json() + "\n")
                count += 1
    except DatabaseUnavailable as err:
        return fail("hitl feedback export", err)
    print(f"exported {count} feedback rows", file=sys.stderr)
    return exit_codes.OK
