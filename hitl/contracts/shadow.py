"""Shadow mode: what the policy would have done next to what the human did."""

from datetime import datetime

from pydantic import Field

from hitl.contracts.base import Contract
from hitl.contracts.verdict import FiredRule, Mode, RiskTier


class ShadowRecord(Contract):
    """One action decided by a human while the policy ran in shadow."""

    shadow_key: str
    """Deterministic (workflow id and request id): a retried write stores it once."""
    task_id: str
    task_kind: str
    action_type: str
    step: int
    would_be: Mode
    """The mode the policy would have applied."""
    risk_tier: RiskTier
    rules: list[FiredRule] = Field(default_factory=list)
    outcome: str
    """What the human decided (`approve`, `modify`, `reject`, `request_changes`, ...)."""
    agreement: str
    """`agree`, `too_lax` or `too_strict` (see `policies.shadow`)."""
    reviewers: list[str]
    policy_hash: str = ""
    decided_at: datetime


class RecordShadowInput(Contract):
    """Input of the `record_shadow_verdict` activity."""

    record: ShadowRecord


class RecordShadowResult(Contract):
    """Whether the record was new."""

    inserted: bool


class AgreementRow(Contract):
    """Agreement of a shadowed policy with humans, per task kind and action type."""

    task_kind: str
    action_type: str
    decisions: int
    agree: int
    too_lax: int
    too_strict: int

    @property
    def agreement_rate(self) -> float:
        """Share of decisions where the policy agreed with the human."""
        return self.agree / self.decisions if self.decisions else 0.0
