"""`hitl approve|reject|modify|request-changes|answer`: decide through the validated update.

With a workflow id the decision goes to one task as the `decide` update and the gate answers
at once (accepted or refused with its code). With `--query` (approve, reject,
request-changes) it goes to every matching open request as a batch signal (`hitl.cli.batch`).
"""

import argparse
import json
import sys
import uuid
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from temporalio.service import RPCError, RPCStatusCode

from hitl.cli import exit_codes
from hitl.cli.batch import batch_command
from hitl.cli.connection import connect_or_explain, temporal_failed
from hitl.contracts import Decision, Outcome
from hitl.errors import ConfigError
from hitl.reason_codes import REASON_CODES
from hitl.review.deciding import Answer, DecideAnswer, no_answer, send_decision
from hitl.review.signer import signed_for
from hitl.settings import CliSettings

COMMANDS: dict[str, Outcome] = {
    "approve": Outcome.APPROVE,
    "reject": Outcome.REJECT,
    "modify": Outcome.MODIFY,
    "request-changes": Outcome.REQUEST_CHANGES,
    "answer": Outcome.ANSWER,
}
BATCHABLE = ("approve", "reject", "request-changes")

EXIT_FOR: dict[Answer, int] = {
    Answer.ACCEPTED: exit_codes.OK,
    Answer.DUPLICATE: exit_codes.OK,
    Answer.REFUSED: exit_codes.REFUSED,
    Answer.CLOSED: exit_codes.REFUSED,
    Answer.NOT_FOUND: exit_codes.NOT_FOUND,
    Answer.UNAVAILABLE: exit_codes.UNAVAILABLE,
}


def register(commands: Any) -> None:
    """Add one command per outcome."""
    for name, outcome in COMMANDS.items():
        parser = commands.add_parser(name, help=f"decide '{outcome.value}' on a request")
        parser.add_argument("workflow_id", metavar="ID", nargs="?", help="the task's workflow id")
        parser.add_argument("--request", help="request id; may be omitted when one request is open")
        parser.add_argument("--as", dest="reviewer", help="reviewer id (default: $HITL_REVIEWER)")
        parser.add_argument(
            "--reason",
            choices=sorted(REASON_CODES),
            metavar="CODE",
            help="reason code (hitl/reason_codes.py)",
        )
        parser.add_argument("--comment", default="", help="why; the agent receives it")
        parser.add_argument("--decision-id", help="idempotency key (default: a new one)")
        parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the answer")
        parser.add_argument("--json", action="store_true", help="print the answer as JSON")
        if outcome is Outcome.MODIFY:
            parser.add_argument("--patch", required=True, help="argument changes as a JSON object")
        if outcome is Outcome.ANSWER:
            parser.add_argument("--answer", dest="answer_text", required=True, help="the reply")
        if name in BATCHABLE:
            parser.add_argument("--query", help="decide every open request this visibility query matches")
            parser.add_argument("--limit", type=int, default=1000, help="batch: at most this many tasks")
            parser.add_argument(
                "--rps", type=float, default=0.0, help="batch: signals per second (0: server default)"
            )
        parser.set_defaults(handler=decide_command, outcome=outcome, command_name=name)


def build_decision(args: argparse.Namespace, decision_id: str) -> Decision:
    """The Decision the arguments describe.

    Raises:
        ValueError: A missing reviewer or a patch that is not a JSON object.
        pydantic.ValidationError: The decision is not valid.
    """
    reviewer = args.reviewer or CliSettings.from_env().reviewer
    if not reviewer:
        raise ValueError("name the reviewer with --as REVIEWER or HITL_REVIEWER")
    patch = None
    if getattr(args, "patch", None) is not None:
        patch = json.loads(args.patch)
        if not isinstance(patch, dict):
            raise ValueError("--patch must be a JSON object")
    return Decision(
        outcome=args.outcome,
        reviewer=reviewer,
        request_id=args.request,
        reason_code=args.reason,
        comment=args.comment,
        patch=patch,
        answer=getattr(args, "answer_text", None),
        decision_id=decision_id,
    )


async def decide_command(args: argparse.Namespace) -> int:
    """Send the decision; exit 0 accepted, 3 refused or closed, 4 unknown task, 5 unavailable."""
    name = args.command_name
    query = getattr(args, "query", None)
    if (args.workflow_id is None) == (query is None):
        print(f"hitl {name}: give a workflow ID or --query (not both)", file=sys.stderr)
        return exit_codes.USAGE
    try:
        decision = build_decision(args, args.decision_id or f"cli-{uuid.uuid4().hex[:16]}")
    except (ValueError, ValidationError) as err:
        print(f"hitl {name}: invalid decision: {err}", file=sys.stderr)
        return exit_codes.USAGE
    client = await connect_or_explain(name)
    if client is None:
        return exit_codes.UNAVAILABLE
    if query is not None:
        return await batch_command(client, args, decision)
    wait_for = timedelta(seconds=args.timeout)
    try:
        decision, _ = await signed_for(
            client, CliSettings.from_env(), [args.workflow_id], decision, rpc_timeout=wait_for
        )
        answer = await send_decision(client, args.workflow_id, decision, wait_for)
    except RPCError as err:
        if err.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            # Reading the request to sign for timed out: the task's worker does not answer.
            answer = DecideAnswer(answer=Answer.UNAVAILABLE, message=no_answer(wait_for))
        else:
            return temporal_failed(name, err)
    except ConfigError as err:
        print(f"hitl {name}: cannot sign: {err}", file=sys.stderr)
        return exit_codes.USAGE
    if args.json:
        print(answer.model_dump_json())
    elif answer.answer in (Answer.ACCEPTED, Answer.DUPLICATE):
        again = " (already applied; nothing changed)" if answer.answer is Answer.DUPLICATE else ""
        print(
            f"accepted: {args.workflow_id} {answer.request_id} {decision.outcome.value} by {decision.reviewer}{again}"
        )
        if answer.message:
            print(f"  {answer.message}")
    else:
        code = f"{answer.code}: " if answer.code else ""
        print(f"{answer.answer.value}: {args.workflow_id}: {code}{answer.message}", file=sys.stderr)
    return EXIT_FOR[answer.answer]
