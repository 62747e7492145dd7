"""Policy files: the shipped ones validate; broken ones fail with file, field path and problem."""

from pathlib import Path

import pytest

import policies
from hitl.contracts import Mode
from hitl.errors import PolicyError
from policies.parse import parse_policy, snapshot

POLICY_DIR = Path(policies.__file__).parent


@pytest.mark.parametrize("name", ["refund", "config_change"])
def test_shipped_policies_validate(name: str) -> None:
    policy = parse_policy((POLICY_DIR / f"{name}.toml").read_text(), f"{name}.toml")
    assert policy.name == name


def test_the_refund_policy_carries_the_fields_defaults() -> None:
    policy = parse_policy((POLICY_DIR / "refund.toml").read_text(), "refund.toml")
    assert (policy.confidence.auto_above, policy.confidence.approve_below) == (0.9, 0.7)
    assert policy.triggers.ambiguous_intent is Mode.CLARIFY
    assert {g: r.approval_limit for g, r in policy.reviewers.items()} == {
        "support-leads": 1000,
        "managers": 10000,
        "directors": 50000,
    }
    assert [(r.group, r.sla) for r in policy.ladders["refunds"].tiers] == [
        ("support-leads", 4 * 3600),
        ("managers", 8 * 3600),
        ("directors", 24 * 3600),
    ]


BROKEN = """
name = "broken"
[tools.issue_refund]
tier = "high_risk_write"
aprove_above = 100
ladder = "refunds"
confidence = { auto_above = 0.6, approve_below = 0.8 }
[triggers]
sentiments = { hostile = "panic" }
[autonomy]
initial_stage = 7
"""


def test_every_problem_is_named_with_file_and_field_path() -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(BROKEN, "policies/broken.toml")
    assert str(err.value).splitlines() == [
        "policies/broken.toml: tools.issue_refund.aprove_above: unknown field",
        "policies/broken.toml: tools.issue_refund.confidence: approve_below (0.8) must not be above auto_above (0.6)",
        "policies/broken.toml: triggers.sentiments.hostile: Input should be 'auto', 'auto_then_review', "
        "'approve', 'clarify' or 'block'",
        "policies/broken.toml: autonomy.initial_stage: Input should be less than or equal to 5",
    ]


def test_references_to_unknown_groups_and_ladders_are_refused() -> None:
    text = 'name = "x"\n[tools.t]\ntier = "irreversible"\nladder = "nope"\n'
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "x.toml")
    assert str(err.value) == "x.toml: tools.t.ladder: unknown ladder 'nope' (known: [])"


def test_malformed_toml_names_the_file() -> None:
    with pytest.raises(PolicyError, match=r"^x\.toml: not valid TOML: "):
        parse_policy("name = ", "x.toml")


def test_the_hash_ignores_comments_and_changes_with_content() -> None:
    text = (POLICY_DIR / "refund.toml").read_text()
    base = snapshot(text, "a").hash
    assert snapshot("# a comment\n" + text, "b").hash == base
    assert snapshot(text.replace("approve_above = 100", "approve_above = 150"), "c").hash != base
