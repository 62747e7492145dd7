"""`hitl start`: start an agent task from a JSON file or arguments, as a service would.

The start is signed with the requester's key when one is found (`HITL_REQUESTER_KEY`, else
`<requester>.key` in `HITL_REVIEWER_KEY_DIR`, else the local stack's demo keys), so the task
records its requester as verified; otherwise the requester is only asserted.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from temporalio.service import RPCError

from hitl.cli import exit_codes
from hitl.client import connect, start_task
from hitl.contracts import AgentTaskInput
from hitl.errors import ConfigError
from hitl.review.signing import find_key, read_key
from hitl.settings import CliSettings
from hitl.telemetry import configure_telemetry


def register(commands: Any) -> None:
    """Add the `start` command."""
    start = commands.add_parser("start", help="start an agent task")
    start.add_argument("file", nargs="?", type=Path, help="AgentTaskInput as JSON ('-' for stdin)")
    start.add_argument("--task-id")
    start.add_argument("--kind", default="refund")
    start.add_argument("--requester")
    start.add_argument("--policy")
    start.add_argument("--subject", help="subject as a JSON object")
    start.add_argument("--wait", action="store_true", help="wait for the result and print it")
    start.set_defaults(handler=start_command)


def _task_from(args: argparse.Namespace) -> AgentTaskInput:
    data: dict[str, Any] = {}
    if args.file is not None:
        text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text()
        data = json.loads(text)
    overrides = {
        "task_id": args.task_id,
        "kind": args.kind if args.file is None else None,
        "requester": args.requester,
        "policy": args.policy,
        "subject": json.loads(args.subject) if args.subject else None,
    }
    data.update({k: v for k, v in overrides.items() if v is not None})
    return AgentTaskInput.model_validate(data)


def _requester_key(requester: str, settings: CliSettings) -> Path | None:
    """Where the requester's key is; None when there is none (or the name cannot name a key file)."""
    try:
        return find_key(requester, settings.requester_key, settings.reviewer_key_dir, settings.state_dir)
    except ConfigError:
        return None


async def start_command(args: argparse.Namespace) -> int:
    """Start the task; print its workflow id (and its result with --wait)."""
    try:
        task = _task_from(args)
    except (ValueError, OSError, ValidationError) as err:
        print(f"hitl start: invalid task: {err}", file=sys.stderr)
        return exit_codes.USAGE
    settings = CliSettings.from_env()
    # With an OTLP endpoint configured, the task's trace starts here, as it would in a service.
    telemetry = configure_telemetry(settings, "hitl-cli")
    try:
        try:
            found = _requester_key(task.requester, settings)
            key = read_key(found) if found is not None else None
            client = await connect()
            handle = await start_task(client, task, requester_key=key)
        except RPCError as err:
            print(f"hitl start: Temporal is unavailable: {err}", file=sys.stderr)
            return exit_codes.UNAVAILABLE
        except ConfigError as err:
            print(f"hitl start: {err}", file=sys.stderr)
            return exit_codes.USAGE
        print(handle.id)
        if args.wait:
            result = await handle.result()
            print(result.model_dump_json(indent=2))
        return exit_codes.OK
    finally:
        telemetry.shutdown()  # flushes the spans before the process exits
