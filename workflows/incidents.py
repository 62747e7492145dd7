"""Incident gates: when a tool or the agent fails all its retries, a human decides whether to
retry, skip or abort, instead of the task retrying forever or failing with nothing undone.

A policy may route incidents to their own ladder (`[ladders.incidents]`, on-call engineers, say);
otherwise the failing action's ladder, or the policy's first. Nobody answering never decides an
incident: it holds. All I/O happens in activities.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import (
        Fallback,
        FiredRule,
        GateResolution,
        Mode,
        Outcome,
        ProposedAction,
        RequestKind,
        RiskTier,
        Verdict,
    )

from workflows.task_state import TaskState

INCIDENT_OUTCOMES = [Outcome.RETRY, Outcome.SKIP, Outcome.ABORT]


def verdict(state: TaskState, failed: Verdict | None, reason: str) -> Verdict:
    """The verdict an incident is asked with: the failed action's (or, for the agent, a fresh one),
    routed to the incident ladder, one decision, holding when nobody answers."""
    context = state.context
    assert context is not None
    policy = context.policy.policy
    incidents = policy.ladders.get("incidents")
    first = next(iter(policy.ladders.values()), None)
    base = failed or Verdict(
        mode=Mode.APPROVE,
        risk_tier=RiskTier.HIGH,
        reasons=[FiredRule(id="incident.agent", text=reason, mode=Mode.APPROVE)],
        ladder=first.as_tiers() if first is not None else [],
        policy_hash=context.policy.hash,
    )
    return base.model_copy(
        update={
            "mode": Mode.APPROVE,
            "ladder": incidents.as_tiers() if incidents is not None else base.ladder,
            "fallback": Fallback.HOLD,
            "quorum": 1,
            "required_limit": None,
        }
    )


async def ask(
    state: TaskState, action: ProposedAction, failed: Verdict | None, message: str
) -> GateResolution:
    """Open an incident gate for `action`, which failed with `message`, and wait for the decision."""
    failing = action.model_copy(update={"summary": f"Incident: {action.tool} failed: {message}"})
    incident = verdict(state, failed, f"{action.tool} failed: {message}")
    return await state.gate.ask(RequestKind.INCIDENT, failing, incident, INCIDENT_OUTCOMES)
