"""`hitl show ID`: the context card of each open request of a task (or how the task ended).

Cards are printed as plain text for a terminal (`hitl.review.terminal`: no Markdown, none of the
agent's control characters); `--markdown` prints them as the Web UI gets them.
"""

import argparse
import sys
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowExecutionStatus, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from hitl.cli import exit_codes
from hitl.cli.connection import connect_or_explain, temporal_failed
from hitl.contracts import PendingResult, TaskStatusView
from hitl.names import PENDING_QUERY, STATUS_QUERY
from hitl.review.terminal import card_for_terminal

QUERY_TIMEOUT = timedelta(seconds=10)
"""A task whose worker does not answer within this is reported as unavailable (exit 5)."""


def register(commands: Any) -> None:
    """Add the `show` command."""
    show = commands.add_parser("show", help="print the context card of a task's open requests")
    show.add_argument("workflow_id", metavar="ID", help="the task's workflow id")
    show.add_argument("--request", help="only this request id")
    show.add_argument("--markdown", action="store_true", help="print the cards' Markdown as it is")
    show.set_defaults(handler=show_command)


async def show_command(args: argparse.Namespace) -> int:
    """Print the cards; exit 4 for an unknown task or request."""
    client = await connect_or_explain("show")
    if client is None:
        return exit_codes.UNAVAILABLE
    handle = client.get_workflow_handle(args.workflow_id)
    try:
        description = await handle.describe()
        pending: PendingResult = await handle.query(
            PENDING_QUERY, result_type=PendingResult, rpc_timeout=QUERY_TIMEOUT
        )
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            print(f"hitl show: no task with workflow id {args.workflow_id!r}", file=sys.stderr)
            return exit_codes.NOT_FOUND
        return temporal_failed("show", err)
    except WorkflowQueryFailedError as err:
        print(f"hitl show: the task did not answer the {PENDING_QUERY} query: {err}", file=sys.stderr)
        return exit_codes.FAILURE
    requests = [r for r in pending.requests if args.request in (None, r.request_id)]
    if requests:
        cards = [r.card if args.markdown else card_for_terminal(r.card) for r in requests]
        print("\n\n---\n\n".join(cards))
        return exit_codes.OK
    if args.request is not None:
        print(f"hitl show: {args.workflow_id} has no open request {args.request!r}", file=sys.stderr)
        return exit_codes.NOT_FOUND
    try:
        status: TaskStatusView = await handle.query(
            STATUS_QUERY, result_type=TaskStatusView, rpc_timeout=QUERY_TIMEOUT
        )
    except RPCError as err:
        return temporal_failed("show", err)
    running = description.status is WorkflowExecutionStatus.RUNNING
    print(f"{args.workflow_id}: no open request ({'phase ' if running else 'ended: '}{status.phase})")
    return exit_codes.OK
