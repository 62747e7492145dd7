"""`hitl policy check` and `hitl policy explain`, run in process through the real parser."""

import asyncio
import json
from pathlib import Path

import pytest

import policies
from hitl.cli import build_parser, exit_codes
from policies.names import directory_problems
from policies.parse import parse_policy

REFUND = Path(policies.__file__).parent / "refund.toml"


def run(*argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    code: int = asyncio.run(args.handler(args))
    return code


def test_check_accepts_the_shipped_policies(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("policy", "check", str(REFUND)) == exit_codes.OK
    out = capsys.readouterr().out
    assert out.startswith(f"{REFUND}: ok: policy 'refund', 4 tools, 3 reviewer groups, 1 ladders, hash ")


def test_check_fails_with_file_field_and_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[tools.t]\ntier = "risky"\n')
    missing = tmp_path / "missing.toml"
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('name = "caf\u00e9"\n'.encode("latin-1"))
    assert run("policy", "check", str(REFUND), str(bad), str(missing), str(latin1)) == exit_codes.FAILURE
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{bad}: tools.t.tier: Input should be 'read_only', 'low_risk_write', 'high_risk_write' or 'irreversible'",
        f"{missing}: cannot read: No such file or directory",
        f"{latin1}: not UTF-8 text (byte 11): TOML files are UTF-8",
    ]


def test_explain_prints_the_verdict_each_fired_rule_and_the_fact_or_claim_behind_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    action = tmp_path / "action.json"
    action.write_text(
        json.dumps(
            {
                "tool": "issue_refund",
                "args": {"order_id": "A-1003", "amount": 250, "currency": "USD"},
                "confidence": 0.8,
                "signals": {"sentiment": "hostile"},
            }
        )
    )
    facts = tmp_path / "facts.json"
    facts.write_text(
        json.dumps(
            {
                "record": "order A-1003",
                "customer": "chen@example.com",
                "customer_tier": "gold",
                "amount": 250,
                "currency": "USD",
                "bindings": [
                    {"arg": "to", "task_fact": "customer_email", "expected": "c@x.io", "actual": "m@y.io"}
                ],
            }
        )
    )
    assert run("policy", "explain", str(REFUND), str(action), "--facts", str(facts)) == exit_codes.OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[2:] == [
        "stage    3 (policy)",
        "verdict  block (risk tier high_risk_write)",
        "fired rules (the strictest mode wins):",
        "  amount.above_threshold   approve           amount 250 is above the threshold 100  [fact: amount = 250]",
        "  binding.to               block             outside its task: to = 'm@y.io' is not the task's "
        "customer_email ('c@x.io') (blocked)  [fact: order A-1003]",
        "  confidence.uncalibrated  approve           confidence 0.8 is not calibrated yet (under 20 human "
        "decisions, or 5 in its band): a human decides  [claim: confidence = 0.8]",
        "  confidence.medium        auto_then_review  confidence 0.8 is between 0.7 and 0.9: execute, then "
        "review  [claim: confidence = 0.8]",
        "  customer_tier.gold       auto_then_review  customer tier 'gold'  [fact: customer_tier = 'gold' "
        "(order A-1003)]",
        "  claim.sentiment.hostile  approve           the agent reads the customer as 'hostile'  [claim: "
        "signals.sentiment = 'hostile']",
        "facts    record: order A-1003",
        "facts    customer: chen@example.com",
        "facts    customer tier: gold",
        "facts    amount: 250 USD",
        "facts    NOT bound: to = 'm@y.io' is not the task's customer_email ('c@x.io')",
        "claims   confidence: 0.8",
        "claims   sentiment: hostile",
    ]


def test_explain_json_at_a_stage_with_facts_and_calibration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    action = tmp_path / "action.json"
    action.write_text(
        json.dumps({"tool": "issue_refund", "args": {"amount": 40, "currency": "USD"}, "confidence": 0.95})
    )
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"customer_tier": "standard"}))
    calibration = tmp_path / "calibration.json"
    buckets = [
        {"low": low, "high": high, "decisions": 0, "approved_unchanged": 0, "share": None}
        for low, high in [(0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9)]
    ]
    buckets.append({"low": 0.9, "high": 1.0, "decisions": 20, "approved_unchanged": 19, "share": 0.95})
    calibration.write_text(json.dumps({"decisions": 20, "buckets": buckets}))
    argv = ["--facts", str(facts), "--calibration", str(calibration), "--stage", "1", "--json"]
    assert run("policy", "explain", str(REFUND), str(action), *argv) == exit_codes.OK
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["mode"] == "approve"
    assert [r["id"] for r in verdict["reasons"]] == [
        "amount.within_threshold",
        "confidence.high",
        "autonomy.stage1",
    ]
    assert verdict["facts"]["customer_tier"] == "standard"


def test_explain_refuses_a_bad_action(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    action = tmp_path / "action.json"
    action.write_text(json.dumps({"tool": "issue_refund", "confidence": 3}))
    assert run("policy", "explain", str(REFUND), str(action)) == exit_codes.USAGE
    assert capsys.readouterr().err.startswith(f"{action}: not a valid action: 1 validation error")


def test_policy_check_refuses_duplicate_and_confusable_reviewer_names() -> None:
    text = (Path(__file__).parents[2] / "policies" / "refund.toml").read_text()
    twice = text.replace('members = ["carol", "dave"]', 'members = ["carol", "dave", "Alice "]')
    lookalike = text.replace('members = ["erin"]', 'members = ["erin", "\u0430lice"]')
    assert directory_problems(parse_policy(twice, "twice.toml")) == [
        "one reviewer under several spellings: Alice , alice"
    ]
    assert directory_problems(parse_policy(lookalike, "lookalike.toml")) == [
        "'\u0430lice' mixes scripts with look-alike characters: use one script"
    ]
    assert directory_problems(parse_policy(text, "refund.toml")) == []
