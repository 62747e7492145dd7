"""What the feedback export and the KPI report return."""

from datetime import datetime
from typing import Any

from pydantic import Field

from hitl.contracts.base import Contract


class FeedbackFilter(Contract):
    """Which feedback rows to read."""

    since: datetime | None = None
    task_kind: str | None = None
    action_type: str | None = None
    request_kind: str | None = None
    include_fallbacks: bool = True
    """Include requests settled by a timeout (nobody decided) as well as human decisions."""


class FeedbackExample(Contract):
    """One exported feedback line: the proposal, the human decision, and the difference."""

    feedback_key: str
    task_id: str
    task_kind: str
    request_id: str
    request_kind: str
    step: int
    action_type: str
    summary: str | None = None
    """The agent's one-line summary of the proposed action."""
    rationale: str | None = None
    """The agent's reasoning for it."""
    sources: list[Any] = Field(default_factory=list)
    confidence: float
    proposed_args: dict[str, Any]
    final_args: dict[str, Any] | None = None
    changed: dict[str, list[Any]] = Field(default_factory=dict)
    """Arguments a reviewer changed: `{name: [proposed, final]}`."""
    outcome: str
    reason_code: str | None = None
    reason: str = ""
    """The meaning of `reason_code` in the taxonomy."""
    comment: str = ""
    reviewers: list[str]
    by_fallback: bool
    escalations: int
    opened_at: datetime
    decided_at: datetime
    seconds_to_decision: float
    policy_hash: str = ""


class DecisionRow(Contract):
    """One settled request, as the report needs it."""

    task_kind: str
    action_type: str
    request_kind: str
    outcome: str
    by_fallback: bool
    reason_code: str | None = None
    confidence: float
    seconds_to_decision: float
    decided_at: datetime
    escalations: int = 0
    amount: float | None = None
    """The proposal's numeric `amount` argument, when it has one (threshold recommendations)."""
    verified: bool = False
    """The deciding reviewers' proofs were verified (else the decision was only asserted)."""


class EventCount(Contract):
    """How many audit events of one sort a (task kind, action type) group has.

    `what` is a verdict mode (`auto`, `approve`, ...), `escalated`, `reverted`, or
    `open_<request kind>` for requests still waiting.
    """

    task_kind: str
    action_type: str
    what: str
    n: int


class ReportData(Contract):
    """Everything the KPI report is computed from."""

    generated_at: datetime
    since: datetime | None = None
    decisions: list[DecisionRow] = Field(default_factory=list)
    counts: list[EventCount] = Field(default_factory=list)


class GroupKpis(Contract):
    """The KPIs of one task kind and action type."""

    task_kind: str
    action_type: str
    proposed: int
    """Actions the policy evaluated."""
    gated: int
    """Of those, actions that stopped for a human before running (approve or clarify)."""
    intervention_rate: float | None
    """gated / proposed."""
    decisions: int
    """Approval requests a human settled."""
    approve_rate: float | None
    modify_rate: float | None
    reject_rate: float | None
    request_changes_rate: float | None
    verified_decisions: int = 0
    """Human decisions whose reviewers' proofs were verified; the rest were only asserted."""
    p50_seconds: float | None
    p90_seconds: float | None
    """Time to decision of human decisions on approval requests."""
    sla_breaches: int
    """Approval requests whose escalation ladder ran out (reason `sla_fallback`)."""
    escalations: int
    reverts: int
    queue_depth: int
    """Requests waiting for a human now."""


class CalibrationRow(Contract):
    """Agent confidence bucket vs the share of its proposals humans approved unchanged."""

    low: float
    high: float
    decisions: int
    approved_unchanged: int
    share: float | None


class RatesPoint(Contract):
    """Decisions on one day (UTC) and how they went."""

    day: str
    decisions: int
    approve: int
    modify: int
    reject: int
    other: int


class LatencyBin(Contract):
    """How many human decisions took between `low` and `high` seconds."""

    label: str
    low: float
    high: float | None
    count: int


class Recommendation(Contract):
    """A threshold or policy change the numbers suggest, with the numbers."""

    task_kind: str
    action_type: str
    kind: str
    """`raise_amount_threshold`, `auto_by_confidence`, `overconfident`, `tighten`, `sla`."""
    text: str


class KpiReport(Contract):
    """The KPI report: what `hitl report` prints as text, JSON or HTML."""

    generated_at: datetime
    since: datetime | None = None
    groups: list[GroupKpis] = Field(default_factory=list)
    calibration: dict[str, list[CalibrationRow]] = Field(default_factory=dict)
    """`task_kind/action_type` (and `all`) -> buckets."""
    latency: list[LatencyBin] = Field(default_factory=list)
    rates: list[RatesPoint] = Field(default_factory=list)
    recommendations: list[Recommendation] = Field(default_factory=list)
