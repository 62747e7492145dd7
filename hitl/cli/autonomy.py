"""`hitl autonomy show|set|unpin`: read the autonomy ledger, pin or roll back a stage.

A stage set here is pinned (not recomputed from the track record) until `unpin`; like every
stage change it is recorded with its reason and audited, and applies to tasks started afterwards.
`set` is signed with the key of `--by` (found as the `hitl` CLI finds a reviewer's key) and the
ledger verifies it against the policy's `[identity.keys]`: an unsigned or wrongly signed stage is
refused (exit 3, with its code), and the verified key is recorded in the change's evidence.
Raising a stage is refused (exit 3) while the evidence chain does not verify against its
checkpoints (`hitl audit verify` names what is wrong); lowering one never is.
"""

import argparse
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from activities.autonomy import ledger
from activities.autonomy.evidence import evidence_check, failure
from hitl.cli import exit_codes
from hitl.cli.policy import load as load_policy
from hitl.contracts.autonomy import StagePin
from hitl.errors import ConfigError, PolicyError
from hitl.review.signing import find_key, read_key, sign_pin
from hitl.settings import CliSettings
from policies.autonomy import STAGE_NAMES
from policies.model import Policy
from store.anchors import Anchors
from store.db import create_pool

PIN_VALIDITY_SECONDS = 300
"""How long a signed stage change counts: it is verified by the ledger at once."""


def register(commands: Any) -> None:
    """Add the `autonomy` command group."""
    group = commands.add_parser("autonomy", help="progressive autonomy stages per task kind and action type")
    sub = group.add_subparsers(dest="autonomy_command", required=True, metavar="ACTION")
    show = sub.add_parser("show", help="current stages (and, with --history, every change and its evidence)")
    show.add_argument("--kind", help="only this task kind")
    show.add_argument("--history", action="store_true", help="also list every stage change with its evidence")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.add_argument("--dsn", help="PostgreSQL DSN (default: HITL_DATABASE_URL)")
    show.set_defaults(handler=show_command)
    put = sub.add_parser("set", help="set and pin a stage (roll back or promote by hand)")
    put.add_argument("kind", help="task kind, e.g. refund")
    put.add_argument("action_type", help="action type (tool), e.g. issue_refund")
    put.add_argument("stage", type=int, choices=sorted(STAGE_NAMES))
    put.add_argument(
        "--by", required=True, help="who sets it: signed with their key, verified against the policy's keys"
    )
    put.add_argument("--reason", required=True, help="why (recorded in the audit trail)")
    put.add_argument("--no-pin", action="store_true", help="set without pinning: recomputation continues")
    put.add_argument(
        "--policy",
        help="policy name in HITL_POLICY_DIR or a .toml path (default: the task kind's name), for its "
        "initial stage and to warn when its autonomy is off",
    )
    put.add_argument("--dsn", help="PostgreSQL DSN (default: HITL_DATABASE_URL)")
    put.set_defaults(handler=set_command)
    free = sub.add_parser("unpin", help="let the stage be recomputed from the track record again")
    free.add_argument("kind")
    free.add_argument("action_type")
    free.add_argument("--by", required=True)
    free.add_argument("--dsn", help="PostgreSQL DSN (default: HITL_DATABASE_URL)")
    free.set_defaults(handler=unpin_command)


@asynccontextmanager
async def _connection(args: argparse.Namespace) -> AsyncIterator[asyncpg.Connection]:
    dsn = args.dsn or CliSettings.from_env().require_database()
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            yield conn
    finally:
        await pool.close()


async def show_command(args: argparse.Namespace) -> int:
    """Print the ledger."""
    try:
        async with _connection(args) as conn:
            entries = await ledger.stages(conn, args.kind)
            history = await ledger.changes(conn, args.kind) if args.history else []
    except ConfigError as err:
        print(f"hitl autonomy show: {err}", file=sys.stderr)
        return exit_codes.USAGE
    except (OSError, asyncpg.PostgresError) as err:
        print(f"hitl autonomy show: PostgreSQL is unavailable: {err}", file=sys.stderr)
        return exit_codes.UNAVAILABLE
    if args.json:
        print(
            json.dumps(
                {
                    "stages": [e.model_dump(mode="json") for e in entries],
                    "changes": [c.model_dump(mode="json") for c in history],
                },
                indent=2,
            )
        )
        return exit_codes.OK
    if not entries:
        print(
            "no autonomy stages recorded yet (stages appear when a task of a policy with [autonomy] enabled starts)"
        )
    for e in entries:
        pin = "pinned" if e.pinned else "computed"
        print(
            f"{e.task_kind}/{e.action_type}: stage {e.stage} ({STAGE_NAMES[e.stage]}), {pin}; "
            f"changed {e.changed_at:%Y-%m-%d %H:%M} by {e.changed_by}: {e.reason}"
        )
    for c in history:
        print(
            f"  #{c.id} {c.changed_at:%Y-%m-%d %H:%M} {c.task_kind}/{c.action_type} {c.from_stage} -> {c.to_stage} "
            f"{c.rule} by {c.actor}{' (pinned)' if c.pinned else ''} {json.dumps(c.evidence, sort_keys=True)}"
        )
    return exit_codes.OK


def _policy(args: argparse.Namespace) -> Policy | None:
    """The policy the stage is for (None: no such default policy).

    Raises:
        PolicyError: `--policy` names a file that is missing or broken.
    """
    named = args.policy or args.kind
    path = (
        Path(named)
        if named.endswith(".toml") or "/" in named
        else CliSettings.from_env().policy_dir / f"{named}.toml"
    )
    if args.policy is None and not path.is_file():
        return None
    return load_policy(path).policy


def _pin(args: argparse.Namespace) -> StagePin:
    """The stage change as `--by` signs it (with their key when one is found; else unsigned, and
    the ledger refuses it).

    Raises:
        ConfigError: The key file cannot be read.
    """
    pin = StagePin(
        task_kind=args.kind,
        action_type=args.action_type,
        stage=args.stage,
        pinned=not args.no_pin,
        actor=args.by,
        reason=args.reason,
    )
    settings = CliSettings.from_env()
    path = find_key(args.by, settings.reviewer_key, settings.reviewer_key_dir, settings.state_dir)
    return pin if path is None else sign_pin(pin, read_key(path), int(time.time()) + PIN_VALIDITY_SECONDS)


def _refused(err: ledger.PinRefused, actor: str) -> int:
    hint = f"; set HITL_REVIEWER_KEY or run `hitl keys new --as {actor}`" if err.code == "unverified" else ""
    print(f"hitl autonomy set: refused ({err.code}): {err.message}{hint}", file=sys.stderr)
    return exit_codes.REFUSED


async def set_command(args: argparse.Namespace) -> int:
    """Set a stage, pinned unless --no-pin, signed with the key of `--by`."""
    try:
        policy = _policy(args)
    except PolicyError as err:
        print(f"hitl autonomy set: {err}", file=sys.stderr)
        return exit_codes.NOT_FOUND
    if policy is None:
        print(
            f"hitl autonomy set: refused (no_policy): no policy {args.kind!r} to verify the signer "
            "against: name it with --policy",
            file=sys.stderr,
        )
        return exit_codes.REFUSED
    rules = policy.autonomy
    if not rules.enabled:
        print(
            f"hitl autonomy set: note: autonomy is off in the {args.policy or args.kind} policy "
            "([autonomy] enabled = false): the stage applies once it is on",
            file=sys.stderr,
        )
    try:
        pin = _pin(args)
        async with _connection(args) as conn:
            if args.stage > await ledger.stage_of(conn, args.kind, args.action_type, rules.initial_stage):
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    report = await evidence_check(conn, lambda: Anchors.load(CliSettings.from_env()))
                if not report.ok:
                    print(
                        f"hitl autonomy set: refused: the evidence does not verify ({failure(report)}); "
                        "see `hitl audit verify`",
                        file=sys.stderr,
                    )
                    return exit_codes.REFUSED
            change = await ledger.set_stage(conn, pin, policy.identity, initial_stage=rules.initial_stage)
    except ledger.PinRefused as err:
        return _refused(err, args.by)
    except ConfigError as err:
        print(f"hitl autonomy set: {err}", file=sys.stderr)
        return exit_codes.USAGE
    except (OSError, asyncpg.PostgresError) as err:
        print(f"hitl autonomy set: PostgreSQL is unavailable: {err}", file=sys.stderr)
        return exit_codes.UNAVAILABLE
    pinned = "pinned" if change.pinned else "not pinned"
    print(
        f"{args.kind}/{args.action_type}: stage {change.from_stage} -> {change.to_stage} "
        f"({STAGE_NAMES[change.to_stage]}), {pinned}; applies to tasks started from now on"
    )
    return exit_codes.OK


async def unpin_command(args: argparse.Namespace) -> int:
    """Resume recomputation of a stage."""
    try:
        async with _connection(args) as conn:
            change = await ledger.unpin(conn, args.kind, args.action_type, actor=args.by)
    except ConfigError as err:
        print(f"hitl autonomy unpin: {err}", file=sys.stderr)
        return exit_codes.USAGE
    except ledger.UnknownStage as err:
        print(f"hitl autonomy unpin: {err}", file=sys.stderr)
        return exit_codes.NOT_FOUND
    except (OSError, asyncpg.PostgresError) as err:
        print(f"hitl autonomy unpin: PostgreSQL is unavailable: {err}", file=sys.stderr)
        return exit_codes.UNAVAILABLE
    print(
        f"{args.kind}/{args.action_type}: stage {change.to_stage} is recomputed from the track record again"
    )
    return exit_codes.OK
