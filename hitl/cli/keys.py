"""`hitl keys new --as NAME` and `hitl sign OUTCOME ID --as NAME`: reviewer keys and signed decisions.

`hitl keys new` writes an Ed25519 private key to the reviewer key folder (mode 0600) and prints
the line a risk owner adds under `[identity.keys]` in the policy. `hitl sign` prints a decision
signed for the task's open request, for the Temporal CLI and Web UI:

    temporal workflow signal --workflow-id T --name decide --input "$(hitl sign approve T --as carol)"
"""

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError
from temporalio.service import RPCError, RPCStatusCode

from hitl.cli import exit_codes
from hitl.cli.connection import connect_or_explain, temporal_failed
from hitl.cli.decide import build_decision
from hitl.contracts import Outcome
from hitl.errors import ConfigError
from hitl.reason_codes import REASON_CODES
from hitl.review.signer import NothingToSign, signed_for, target_of
from hitl.review.signing import DEFAULT_VALIDITY_SECONDS, directory_line, key_file_name, write_key
from hitl.settings import CliSettings

OUTCOMES = {outcome.value.replace("_", "-"): outcome for outcome in Outcome}
"""Every outcome by its command-line spelling (`request-changes`, `revert`, `retry`, ...)."""


def register(commands: Any) -> None:
    """Add `keys new` and `sign`."""
    keys = commands.add_parser("keys", help="reviewer signing keys").add_subparsers(
        dest="keys_command", required=True, metavar="ACTION"
    )
    new = keys.add_parser("new", help="create a reviewer's key and print the policy line to add")
    new.add_argument("--as", dest="reviewer", required=True, help="the reviewer's directory name")
    new.add_argument("--dir", type=str, help="key folder (default: $HITL_REVIEWER_KEY_DIR)")
    new.set_defaults(handler=keys_new_command)

    sign = commands.add_parser("sign", help="print a signed decision for `temporal workflow signal`")
    sign.add_argument(
        "outcome_name", metavar="OUTCOME", choices=sorted(OUTCOMES), help="approve, reject, revert, ..."
    )
    sign.add_argument("workflow_id", metavar="ID", help="the task's workflow id")
    sign.add_argument("--request", help="request id; may be omitted when one request is open")
    sign.add_argument("--as", dest="reviewer", help="reviewer id (default: $HITL_REVIEWER)")
    sign.add_argument("--reason", choices=sorted(REASON_CODES), metavar="CODE", help="reason code")
    sign.add_argument("--comment", default="", help="why; the agent receives it")
    sign.add_argument("--patch", help="argument changes as a JSON object (modify)")
    sign.add_argument("--answer", dest="answer_text", help="the reply (answer)")
    sign.add_argument("--decision-id", help="idempotency key (default: a new one)")
    sign.add_argument(
        "--valid-for", type=int, default=DEFAULT_VALIDITY_SECONDS, help="seconds the signature counts"
    )
    sign.set_defaults(handler=sign_command)


async def keys_new_command(args: argparse.Namespace) -> int:
    """Write a new key (never over an existing one) and print the directory line."""
    settings = CliSettings.from_env()
    folder = settings.reviewer_key_dir if args.dir is None else Path(args.dir)
    try:
        path = folder / key_file_name(args.reviewer)
        key = Ed25519PrivateKey.generate()
        write_key(path, key)
    except FileExistsError:
        print(f"hitl keys new: {path} exists; move it away to replace the key", file=sys.stderr)
        return exit_codes.FAILURE
    except ConfigError as err:
        print(f"hitl keys new: {err}", file=sys.stderr)
        return exit_codes.USAGE
    print(f"# private key written to {path} (mode 0600); add under [identity.keys] in the policy:")
    print(directory_line(args.reviewer, key))
    return exit_codes.OK


async def sign_command(args: argparse.Namespace) -> int:
    """Print the signed decision JSON; exit 4 when nothing is open, 2 when there is no key."""
    args.outcome = OUTCOMES[args.outcome_name]
    try:
        decision = build_decision(args, args.decision_id or f"sig-{uuid.uuid4().hex[:16]}")
    except (ValueError, ValidationError) as err:
        print(f"hitl sign: invalid decision: {err}", file=sys.stderr)
        return exit_codes.USAGE
    client = await connect_or_explain("sign")
    if client is None:
        return exit_codes.UNAVAILABLE
    try:
        signed, skipped = await signed_for(
            client, CliSettings.from_env(), [args.workflow_id], decision, args.valid_for
        )
        if skipped:
            await target_of(client, args.workflow_id, decision.request_id)  # raises with the reason
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            print(f"hitl sign: no task with workflow id {args.workflow_id!r}", file=sys.stderr)
            return exit_codes.NOT_FOUND
        return temporal_failed("sign", err)
    except NothingToSign as err:
        print(f"hitl sign: {err}", file=sys.stderr)
        return exit_codes.NOT_FOUND
    except ConfigError as err:
        print(f"hitl sign: {err}", file=sys.stderr)
        return exit_codes.USAGE
    if signed.proof is None:
        print(
            f"hitl sign: no key for {decision.reviewer!r}: set HITL_REVIEWER_KEY or run "
            f"`hitl keys new --as {decision.reviewer}`",
            file=sys.stderr,
        )
        return exit_codes.USAGE
    print(signed.model_dump_json(exclude_none=True))
    return exit_codes.OK
