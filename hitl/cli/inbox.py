"""`hitl inbox`: the open review requests, filtered and in the order to work through them.

A page at a time (`--limit` tasks, 100 by default): when more wait, the command says how to ask
for the next page (`--page-token`); `--all` reads every page and orders them together.
"""

import argparse
import base64
import binascii
import json
import sys
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from temporalio.service import RPCError

from hitl.cli import exit_codes
from hitl.cli.connection import connect_or_explain, temporal_failed
from hitl.contracts.inbox import InboxEntry, InboxFilter
from hitl.review.inbox import InboxPage, read_all, read_page
from hitl.review.queue import QueryValueError, build_query


def register(commands: Any) -> None:
    """Add the `inbox` command."""
    inbox = commands.add_parser("inbox", help="list open review requests (earliest deadline first)")
    inbox.add_argument("--group", help="only requests this reviewer group may decide now")
    inbox.add_argument("--tier", type=int, help="only requests at this ladder rung (0 is the first)")
    inbox.add_argument("--risk", help="only this risk tier, e.g. high_risk_write")
    inbox.add_argument("--action", help="only this tool, e.g. issue_refund")
    inbox.add_argument("--overdue", action="store_true", help="only requests past their SLA deadline")
    inbox.add_argument("--sort", choices=("deadline", "priority"), default="deadline")
    inbox.add_argument("--limit", type=int, default=100, help="tasks per page (at most 1000)")
    inbox.add_argument("--page-token", help="continue after the page that printed this token")
    inbox.add_argument("--all", action="store_true", help="read every page")
    inbox.add_argument("--json", action="store_true", help="one JSON object per line")
    inbox.add_argument("--print-query", action="store_true", help="print the visibility query and exit")
    inbox.set_defaults(handler=inbox_command)


async def inbox_command(args: argparse.Namespace) -> int:
    """List the queue; exit 0 even when it is empty."""
    now = datetime.now(UTC)
    try:
        filters = InboxFilter(
            group=args.group,
            tier=args.tier,
            risk=args.risk,
            action=args.action,
            overdue=args.overdue,
            limit=args.limit,
        )
        query = build_query(filters, now)
        token = _decode_token(args.page_token)
    except (ValidationError, QueryValueError, ValueError) as err:
        print(f"hitl inbox: {err}", file=sys.stderr)
        return exit_codes.USAGE
    if args.print_query:
        print(query)
        return exit_codes.OK
    client = await connect_or_explain("inbox")
    if client is None:
        return exit_codes.UNAVAILABLE
    try:
        if args.all:
            page = InboxPage(await read_all(client, filters, now, by=args.sort), None)
        else:
            page = await read_page(client, filters, now, by=args.sort, page_token=token)
    except RPCError as err:
        return temporal_failed("inbox", err)
    if args.json:
        for entry in page.entries:
            print(json.dumps(entry.model_dump(mode="json"), sort_keys=True))
    else:
        print(render_table(page.entries, now))
    if page.next_page_token is not None:
        more = base64.urlsafe_b64encode(page.next_page_token).decode()
        print(f"more wait: add --page-token {more} for the next page, or --all", file=sys.stderr)
    return exit_codes.OK


def _decode_token(token: str | None) -> bytes | None:
    if token is None:
        return None
    try:
        return base64.urlsafe_b64decode(token.encode())
    except (binascii.Error, UnicodeEncodeError) as err:
        raise ValueError(f"--page-token {token!r} is not a token this command printed") from err


def render_table(entries: list[InboxEntry], now: datetime) -> str:
    """The queue as an aligned text table."""
    if not entries:
        return "no open requests"
    header = ("TASK", "REQUEST", "DUE", "RISK", "PRIO", "CONF", "TIER", "GROUPS", "SUMMARY")
    rows = [header]
    for e in entries:
        rows.append(
            (
                e.workflow_id,
                e.request_id,
                _due(e, now),
                e.risk_tier,
                f"{e.priority:.2f}",
                "?" if e.confidence is None else f"{e.confidence:.2f}",
                str(e.tier + 1),
                ",".join(e.assignees),
                e.summary,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def _due(entry: InboxEntry, now: datetime) -> str:
    if entry.deadline is None:
        return "hold"
    minutes = int((entry.deadline - now).total_seconds() // 60)
    if minutes < 0:
        return f"OVERDUE {_span(-minutes)}"
    return f"in {_span(minutes)}"


def _span(minutes: int) -> str:
    hours, mins = divmod(minutes, 60)
    return f"{hours}h{mins:02d}m" if hours else f"{mins}m"
