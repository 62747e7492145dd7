"""`assess()`: promotion and demotion from a track record, pure."""

from datetime import UTC, datetime, timedelta

from policies.autonomy import AutonomyRules, StageChange, TrackEntry, TrackKind, assess

RULES = AutonomyRules(
    enabled=True,
    promote_min_decisions=5,
    promote_approval_rate=0.8,
    demote_rejection_streak=3,
    accuracy_window=6,
    demote_accuracy_below=0.5,
)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def record(*outcomes: str) -> list[TrackEntry]:
    return [
        TrackEntry(at=T0 + timedelta(minutes=i), kind=TrackKind.DECISION, outcome=o, ref=f"f{i}")
        if o != "revert"
        else TrackEntry(at=T0 + timedelta(minutes=i), kind=TrackKind.REVERT, ref=f"r{i}")
        for i, o in enumerate(outcomes)
    ]


def test_promotes_once_enough_decisions_are_approved_unchanged() -> None:
    assert assess(3, record("approve", "approve", "modify", "approve"), RULES) is None
    assert assess(3, record("approve", "approve", "modify", "approve", "approve"), RULES) == StageChange(
        from_stage=3,
        to_stage=4,
        rule="promote.approval_rate",
        evidence={"approved_share": 0.8, "threshold": 0.8, "decisions": 5},
    )
    assert assess(3, record("approve", "modify", "modify", "approve", "approve"), RULES) is None


def test_never_promotes_above_the_ceiling() -> None:
    assert assess(5, record(*["approve"] * 10), RULES) is None
    capped = RULES.model_copy(update={"max_stage": 3})
    assert assess(3, record(*["approve"] * 10), capped) is None


def test_a_revert_demotes_at_once_even_among_approvals() -> None:
    change = assess(4, record("approve", "approve", "revert", "approve", "approve", "approve"), RULES)
    assert change == StageChange(from_stage=4, to_stage=3, rule="demote.revert", evidence={"reverts": ["r2"]})


def test_a_rejection_streak_demotes() -> None:
    change = assess(3, record("approve", "reject", "reject", "reject"), RULES)
    assert change == StageChange(
        from_stage=3, to_stage=2, rule="demote.rejection_streak", evidence={"rejections": ["f1", "f2", "f3"]}
    )
    assert assess(3, record("reject", "reject", "approve", "reject"), RULES) is None


def test_an_accuracy_drop_demotes() -> None:
    change = assess(4, record("approve", "modify", "modify", "reject", "modify", "approve"), RULES)
    assert change == StageChange(
        from_stage=4,
        to_stage=3,
        rule="demote.accuracy_drop",
        evidence={"approved_share": 0.3333, "threshold": 0.5, "decisions": 6},
    )


def test_stage_one_is_the_floor() -> None:
    assert assess(1, record("revert", "reject", "reject", "reject"), RULES) is None
