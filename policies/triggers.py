"""Trigger rules a policy adds on top of tool tiers: confidence bands, customer tier, sentiment,
novelty, policy conflict and ambiguous intent (`[confidence]`, `[tools.<name>.confidence]` and
`[triggers]` in a policy file)."""

from pydantic import Field, model_validator

from hitl.contracts.base import Contract
from hitl.contracts.verdict import Mode


class ConfidenceBands(Contract):
    """How the agent's own confidence moves an action (the field's default bands).

    Above `auto_above` the action runs and is logged; from `approve_below` up to `auto_above`
    it runs and is flagged for review; below `approve_below` it stops for a human.
    """

    auto_above: float = Field(default=0.9, ge=0.0, le=1.0)
    """Confidence strictly above this runs on its own."""
    approve_below: float = Field(default=0.7, ge=0.0, le=1.0)
    """Confidence strictly below this stops at a human gate."""

    @model_validator(mode="after")
    def _ordered(self) -> "ConfidenceBands":
        if self.approve_below > self.auto_above:
            raise ValueError(
                f"approve_below ({self.approve_below}) must not be above auto_above ({self.auto_above})"
            )
        return self

    def mode_for(self, confidence: float) -> Mode:
        """The mode the band of `confidence` asks for."""
        if confidence > self.auto_above:
            return Mode.AUTO
        if confidence >= self.approve_below:
            return Mode.AUTO_THEN_REVIEW
        return Mode.APPROVE


class Triggers(Contract):
    """Rules on the action's risk signals (`[triggers]`).

    Each maps a signal value to the mode it asks for; the strictest fired rule wins. Customer
    tier, sentiment and novelty apply to writes only: a read-only action never waits on them.
    """

    customer_tiers: dict[str, Mode] = Field(default_factory=dict)
    """Customer segment -> mode, e.g. `{ enterprise = "approve" }`."""
    sentiments: dict[str, Mode] = Field(default_factory=dict)
    """Customer sentiment -> mode, e.g. `{ hostile = "approve", frustrated = "auto_then_review" }`."""
    novelty: Mode | None = None
    """Mode for an action with no precedent (no human-approved action of this type for this task
    kind and subject); None: novelty does not matter."""
    novelty_subject: list[str] = Field(default_factory=list)
    """Task subject fields that name what an action acts on, e.g. `["service", "key"]`: a
    precedent then counts only for a task with the same values. Empty: any task of the kind."""
    policy_conflict: Mode = Mode.APPROVE
    """Mode when the agent found instructions or rules that contradict each other."""
    ambiguous_intent: Mode = Mode.CLARIFY
    """Mode when it is unclear what is asked: by default, ask a clarifying question."""
    outside_task: Mode = Mode.BLOCK
    """Mode of an action whose bound arguments do not match its task (another customer's order,
    an address not on file): `block`, or `approve` to gate it at the top tier of its ladder."""
    amount_over_left: Mode = Mode.BLOCK
    """Mode of an action that would move more than is left on its subject (a refund above what
    remains to refund on the order)."""

    @model_validator(mode="after")
    def _outside_task_stops(self) -> "Triggers":
        if self.outside_task not in (Mode.BLOCK, Mode.APPROVE):
            raise ValueError("outside_task: must be 'block' or 'approve'")
        if self.amount_over_left in (Mode.AUTO, Mode.AUTO_THEN_REVIEW):
            raise ValueError("amount_over_left: must stop the action (approve, clarify or block)")
        return self
