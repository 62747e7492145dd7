"""`hitl policy check|explain|shadow-report`: validate a policy file, dry-run an action against
it (with the facts the system would establish, and the confidence calibration), and report how
often a policy in shadow agreed with the humans who decided."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from pydantic import BaseModel, ValidationError

from activities.autonomy.shadow_store import agreement_report
from hitl.cli import exit_codes
from hitl.contracts import Facts, ProposedAction, Verdict
from hitl.contracts.facts import claim_lines
from hitl.errors import ConfigError, PolicyError
from hitl.settings import CliSettings
from policies.autonomy import STAGE_NAMES
from policies.calibration import Calibration
from policies.evaluate import EvaluationContext, evaluate
from policies.model import PolicySnapshot
from policies.names import directory_problems
from policies.parse import snapshot
from store.db import create_pool

M = TypeVar("M", bound=BaseModel)


def register(commands: Any) -> None:
    """Add the `policy` command group."""
    group = commands.add_parser("policy", help="check and dry-run policy files")
    sub = group.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    check = sub.add_parser("check", help="validate policy files; errors name file, field and problem")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check.set_defaults(handler=check_command)
    explain = sub.add_parser("explain", help="print the verdict on an action and every rule that fired")
    explain.add_argument("file", type=Path, metavar="FILE", help="policy TOML file")
    explain.add_argument(
        "action", type=Path, metavar="ACTION.json", help="ProposedAction as JSON ('-': stdin)"
    )
    explain.add_argument("--task-kind", default="", help="task kind, for novelty and shadow")
    explain.add_argument(
        "--stage",
        type=int,
        choices=sorted(STAGE_NAMES),
        help="autonomy stage (default: the policy's initial stage)",
    )
    explain.add_argument("--novel", action="store_true", help="treat the action as having no precedent")
    explain.add_argument(
        "--facts",
        type=Path,
        metavar="FACTS.json",
        help="what the system established about the action (a Facts object); without it nothing "
        "is established and nothing relaxes the verdict",
    )
    explain.add_argument(
        "--calibration",
        type=Path,
        metavar="CALIBRATION.json",
        help="the action type's confidence calibration (a Calibration object); without it the "
        "confidence is uncalibrated",
    )
    explain.add_argument("--json", action="store_true", help="print the verdict as JSON")
    explain.set_defaults(handler=explain_command)
    report = sub.add_parser("shadow-report", help="how often policies in shadow agreed with the humans")
    report.add_argument("--kind", help="only this task kind")
    report.add_argument(
        "--policy", type=Path, metavar="FILE", help="only decisions under this file's current version"
    )
    report.add_argument("--dsn", help="PostgreSQL DSN (default: HITL_DATABASE_URL)")
    report.set_defaults(handler=shadow_report_command)


def load(path: Path) -> PolicySnapshot:
    """Read and validate a policy file.

    Raises:
        PolicyError: The file cannot be read or does not validate (message names file and field).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PolicyError(f"{path}: cannot read: {err.strerror or err}") from err
    except UnicodeDecodeError as err:
        raise PolicyError(f"{path}: not UTF-8 text (byte {err.start}): TOML files are UTF-8") from err
    return snapshot(text, str(path))


async def check_command(args: argparse.Namespace) -> int:
    """Validate each file; print `ok` with its hash, or every problem."""
    code = exit_codes.OK
    for path in args.files:
        try:
            pinned = load(path)
        except PolicyError as err:
            print(err, file=sys.stderr)
            code = exit_codes.FAILURE
            continue
        policy = pinned.policy
        problems = directory_problems(policy)
        if problems:
            print("\n".join(f"{path}: {p}" for p in problems), file=sys.stderr)
            code = exit_codes.FAILURE
            continue
        print(
            f"{path}: ok: policy {policy.name!r}, {len(policy.tools)} tools, {len(policy.reviewers)} "
            f"reviewer groups, {len(policy.ladders)} ladders, hash {pinned.hash[:12]}"
        )
    return code


async def explain_command(args: argparse.Namespace) -> int:
    """Evaluate one action and print the verdict with every fired rule."""
    try:
        pinned = load(args.file)
    except PolicyError as err:
        print(err, file=sys.stderr)
        return exit_codes.USAGE
    try:
        text = sys.stdin.read() if str(args.action) == "-" else args.action.read_text()
        data = json.loads(text)
        if isinstance(data, dict):
            data.setdefault("step", 0)
        action = ProposedAction.model_validate(data)
    except (OSError, ValueError, ValidationError) as err:
        print(f"{args.action}: not a valid action: {err}", file=sys.stderr)
        return exit_codes.USAGE
    try:
        facts = _read(args.facts, Facts, established=True) if args.facts else None
        table = _read(args.calibration, Calibration, action_type=action.tool) if args.calibration else None
    except (OSError, ValueError, ValidationError) as err:
        print(f"not valid facts or calibration: {err}", file=sys.stderr)
        return exit_codes.USAGE
    context = EvaluationContext(
        task_kind=args.task_kind,
        policy_hash=pinned.hash,
        novel_action_types=[action.tool] if args.novel else [],
        calibration={action.tool: table} if table is not None else {},
    )
    verdict = evaluate(pinned.policy, action, context, args.stage, facts)
    if args.json:
        print(verdict.model_dump_json(indent=2))
    else:
        stage = args.stage or pinned.policy.autonomy.initial_stage
        shadow = pinned.policy.shadow.applies(args.task_kind, action.tool)
        print(render(pinned, action, verdict, stage, shadow))
    return exit_codes.OK


def render(pinned: PolicySnapshot, action: ProposedAction, verdict: Verdict, stage: int, shadow: bool) -> str:
    """The verdict as a risk owner reads it."""
    lines = [
        f"policy   {pinned.name} ({pinned.hash[:12]})",
        f"action   {action.tool} {json.dumps(action.args, sort_keys=True)}",
        f"stage    {stage} ({STAGE_NAMES[stage]})",
        f"verdict  {verdict.mode.value} (risk tier {verdict.risk_tier.value})",
        "fired rules (the strictest mode wins):",
    ]
    width = max((len(r.id) for r in verdict.reasons), default=0)
    for rule in verdict.reasons:
        asks = rule.mode.value if rule.mode is not None else "-"
        fired_by = f"  [{rule.source}: {rule.basis}]" if rule.source else ""
        lines.append(f"  {rule.id:<{width}}  {asks:<16}  {rule.text}{fired_by}")
    if verdict.mode.value in ("approve", "clarify"):
        ladder = " -> ".join(f"{t.group} ({t.sla_seconds}s)" for t in verdict.ladder) or "none"
        lines.append(f"ladder   {ladder}; fallback {verdict.fallback.value}")
        limit = f"{verdict.required_limit:g}" if verdict.required_limit is not None else "none"
        lines.append(f"quorum   {verdict.quorum}; approval limit needed {limit}")
    elif verdict.mode.value == "auto_then_review":
        lines.append(f"review   {verdict.sample_rate:.0%} reviewed within {verdict.review_window_seconds}s")
    if shadow:
        lines.append("shadow   this action runs in shadow: a human decides, the verdict is only recorded")
    lines += [f"facts    {line}" for line in (verdict.facts or Facts()).lines()]
    lines += [f"claims   {line}" for line in claim_lines(action)]
    return "\n".join(lines)


def _read(path: Path, model: type[M], **defaults: Any) -> M:
    """A JSON file as `model`, with `defaults` for fields the file leaves out."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a JSON object")
    return model.model_validate({**defaults, **data})


async def shadow_report_command(args: argparse.Namespace) -> int:
    """Print agreement rates per task kind and action type."""
    try:
        policy_hash = load(args.policy).hash if args.policy is not None else None
        dsn = args.dsn or CliSettings.from_env().require_database()
    except (PolicyError, ConfigError) as err:
        print(f"hitl policy shadow-report: {err}", file=sys.stderr)
        return exit_codes.USAGE
    try:
        pool = await create_pool(dsn, min_size=1, max_size=1)
        try:
            async with pool.acquire() as conn:
                rows = await agreement_report(conn, args.kind, policy_hash)
        finally:
            await pool.close()
    except (OSError, asyncpg.PostgresError) as err:
        print(f"hitl policy shadow-report: PostgreSQL is unavailable: {err}", file=sys.stderr)
        return exit_codes.UNAVAILABLE
    if not rows:
        print("no shadow decisions recorded")
        return exit_codes.OK
    print(
        f"{'task kind/action type':<32} {'decisions':>9} {'agree':>6} {'too lax':>8} {'too strict':>10} {'agreement':>9}"
    )
    for r in rows:
        name = f"{r.task_kind}/{r.action_type}"
        print(
            f"{name:<32} {r.decisions:>9} {r.agree:>6} {r.too_lax:>8} {r.too_strict:>10} {r.agreement_rate:>9.0%}"
        )
    return exit_codes.OK
