"""The reason-code taxonomy reviewers use when they do not approve an action as proposed.

Feedback rows carry one of these codes, so that reports can say *why* humans intervene and a
fine-tuning or prompt-update pipeline can group corrections. `other` needs a comment.
"""

REASON_CODES: dict[str, str] = {
    "wrong_amount": "the amount is wrong (too high, too low, wrong currency)",
    "wrong_target": "wrong customer, order, recipient or resource",
    "policy_violation": "the action breaks a business rule or the policy",
    "insufficient_evidence": "the agent did not establish the facts it relies on",
    "fraud_risk": "signs of fraud or abuse",
    "customer_context": "customer history or relationship the agent did not weigh",
    "tone_or_content": "wording, tone or content of a message is not acceptable",
    "duplicate": "the action was already done or is being done elsewhere",
    "timing": "right action, wrong time (hold, maintenance window, freeze)",
    "other": "anything else; explain in the comment",
}
"""Code -> meaning. Stable: codes appear in audit events and feedback rows."""

SYSTEM_REASON_CODES: dict[str, str] = {
    "sla_fallback": "nobody decided before the escalation ladder ran out; the policy's fallback applied",
    "window_closed": "the post-hoc review window closed without a decision; the action stays",
}
"""Codes the gate itself writes on feedback rows when no human decided (never chosen by a reviewer)."""


def describe(code: str | None) -> str:
    """The meaning of a code, or an empty string for none/unknown."""
    return REASON_CODES.get(code or "") or SYSTEM_REASON_CODES.get(code or "", "")
