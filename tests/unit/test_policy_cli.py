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


def test_explain_prints_the_verdict_and_each_fired_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    action = tmp_path / "action.json"
    action.write_text(
        json.dumps(
            {
                "tool": "issue_refund",
                "args": {"amount": 250},
                "confidence": 0.8,
                "signals": {"sentiment": "hostile"},
            }
        )
    )
    assert run("policy", "explain", str(REFUND), str(action)) == exit_codes.OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[2:] == [
        "stage    3 (policy)",
        "verdict  approve (risk tier high_risk_write)",
        "fired rules (the strictest mode wins):",
        "  amount.above_threshold  approve           amount 250 is above the threshold 100",
        "  confidence.medium       auto_then_review  confidence 0.8 is between 0.7 and 0.9: execute, then review",
        "  sentiment.hostile       approve           customer sentiment 'hostile'",
        "ladder   support-leads (14400s) -> managers (28800s) -> directors (86400s); fallback reject",
        "quorum   1; approval limit needed 250",
    ]


def test_explain_json_at_a_stage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    action = tmp_path / "action.json"
    action.write_text(json.dumps({"tool": "issue_refund", "args": {"amount": 40}, "confidence": 0.95}))
    assert run("policy", "explain", str(REFUND), str(action), "--stage", "1", "--json") == exit_codes.OK
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["mode"] == "approve"
    assert [r["id"] for r in verdict["reasons"]] == [
        "amount.within_threshold",
        "confidence.high",
        "autonomy.stage1",
    ]


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
