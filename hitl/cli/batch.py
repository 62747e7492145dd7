"""`hitl approve --query '...'`: one decision to many open requests through a batch signal.

Starts a Temporal batch job that signals `decide` to every waiting task the query matches
(the query is restricted to open requests), shows its progress until the job completes, then
reads each task's `status` to report which decisions were accepted and which were refused.
"""

import argparse
import sys
import uuid

from temporalio.client import Client
from temporalio.service import RPCError

from hitl.cli import exit_codes
from hitl.cli.connection import temporal_failed
from hitl.contracts import Decision
from hitl.errors import ConfigError
from hitl.review import batch
from hitl.review.queue import waiting_and
from hitl.review.signer import signed_for
from hitl.settings import CliSettings


async def batch_command(client: Client, args: argparse.Namespace, decision: Decision) -> int:
    """Run the batch; exit 0 when every task accepted, 3 when any refused, 1 when it failed."""
    name = args.command_name
    decision_id = decision.decision_id
    assert decision_id is not None
    try:
        query = waiting_and(args.query)
    except ValueError as err:
        print(f"hitl {name}: --query {err}", file=sys.stderr)
        return exit_codes.USAGE
    job_id = f"hitl-{decision.decision_id}-{uuid.uuid4().hex[:6]}"
    try:
        workflow_ids = await batch.targets(client, query, args.limit)
        if not workflow_ids:
            print(f"hitl {name}: no open request matches {query}")
            return exit_codes.OK
        # One proof for the explicit list: a request that opens after this moment is not in it.
        decision, skipped = await signed_for(client, CliSettings.from_env(), workflow_ids, decision)
        for workflow_id in skipped:
            print(f"  {workflow_id}: skipped, no single open request to sign for", file=sys.stderr)
        workflow_ids = [w for w in workflow_ids if w not in skipped]
        print(
            f"batch {job_id}: {decision.outcome.value} by {decision.reviewer} on {len(workflow_ids)} "
            f"task(s), decision_id {decision.decision_id}",
            flush=True,
        )
        await batch.start(
            client, workflow_ids, decision, job_id, f"hitl {name} by {decision.reviewer}", args.rps
        )
        final = await batch.wait(client, job_id, _show)
        items = await batch.collect(client, workflow_ids, decision)
    except RPCError as err:
        return temporal_failed(name, err)
    except ConfigError as err:
        print(f"hitl {name}: cannot sign: {err}", file=sys.stderr)
        return exit_codes.USAGE
    for item in items:
        detail = f" {item.code}: {item.message}" if item.answer != "accepted" else ""
        print(f"  {item.workflow_id} {item.request_id or '-'} {item.answer}{detail}")
    counts = {a: sum(1 for i in items if i.answer == a) for a in ("accepted", "refused", "unknown")}
    print(
        f"batch {job_id} {final.state}: {counts['accepted']} accepted, {counts['refused']} refused, "
        f"{counts['unknown']} unknown, {final.failed} signal(s) failed"
    )
    if final.state == "failed" or counts["unknown"]:
        return exit_codes.FAILURE
    return exit_codes.REFUSED if counts["refused"] else exit_codes.OK


def _show(now: batch.BatchProgress) -> None:
    print(
        f"  progress: {now.done}/{now.total} signalled, {now.failed} failed ({now.state})",
        file=sys.stderr,
        flush=True,
    )
