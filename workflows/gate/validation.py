"""One validation function behind the `decide` signal and the `decide` update.

Pure: it looks only at the gate's state, the policy (reviewer directory, identity rules, tool
rules), the decision and where and when it arrived, so it can run in an update validator (which
must not change state) and in a signal handler alike. Names are compared normalized
(`policies.identity.normalize_name`).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from hitl.contracts.review import Decision, Outcome, RequestState, ReviewRequest
from policies.identity import normalize_name
from policies.model import Policy
from policies.proof import Target, check_proof
from workflows.gate.lifecycle import OPEN_STATES, Event, transition
from workflows.gate.patching import check_patch

APPROVING = (Outcome.APPROVE, Outcome.MODIFY)
"""Outcomes that let the action execute, so the reviewer's approval limit applies."""


@dataclass
class OpenRequest:
    """Gate-side state of one review request (mutable; lives in the workflow)."""

    request: ReviewRequest
    args_model: type[BaseModel] | None = None
    fixed: frozenset[str] = frozenset()
    """Arguments the tool declares fixed: a `modify` may not change them."""
    approvals: dict[str, Decision] = field(default_factory=dict)
    """Approvals toward a quorum, by normalized reviewer name."""
    principals: set[str] = field(default_factory=set)
    """Verified keys or token subjects that approved: a quorum counts each once."""
    outcome: Outcome | None = None
    """How the request was settled; set with the DECIDED or TIMED_OUT state."""
    patched_args: dict[str, Any] | None = None

    @property
    def state(self) -> RequestState:
        """Where the request is in its lifecycle (`workflows.gate.lifecycle`)."""
        return self.request.state

    @property
    def is_open(self) -> bool:
        return self.request.state in OPEN_STATES


@dataclass(frozen=True)
class Arrival:
    """Where and when a decision arrived: the workflow's namespace, ids and clock."""

    namespace: str
    workflow_id: str
    run_id: str
    now: datetime


@dataclass(frozen=True)
class Check:
    """Result of validating a decision: the request it addresses, or a refusal."""

    target: OpenRequest | None = None
    code: str = ""
    message: str = ""
    patched_args: dict[str, Any] | None = None
    principal: str = ""
    """The verified principal; empty when the decision is only asserted."""

    @property
    def refused(self) -> bool:
        return bool(self.code)


def refuse(code: str, message: str) -> Check:
    """Build a refusal."""
    return Check(code=code, message=message)


def check_decision(
    decision: Decision,
    requests: dict[str, OpenRequest],
    policy: Policy,
    requester: str,
    arrival: Arrival,
) -> Check:
    """Validate a decision against the gate's requests, the policy and where it arrived.

    Returns:
        The addressed request (with patched arguments for `modify` and the verified principal),
        or a refusal with a stable code: `no_open_request`, `ambiguous_request`,
        `unknown_request`, `after_fallback`, `request_closed`, `outcome_not_allowed`, the proof's
        codes (`unverified` where the policy requires a proof; `policies.proof.check_proof`),
        `unknown_reviewer`, `self_decision`, `outside_tier`, `duplicate_approver`, the patch's
        codes (`workflows.gate.patching`), `over_limit`.
    """
    found = _find_request(decision, requests, arrival.workflow_id)
    if found.refused or found.target is None:
        return found
    target = found.target
    request = target.request
    closed = transition(request.state, Event.DECISION)
    if closed.refused:
        if closed.code == "after_fallback":
            return refuse(closed.code, f"{request.request_id} was settled by its fallback")
        return refuse(closed.code, f"{request.request_id} is already {request.state.value}")
    if decision.outcome not in request.allowed_outcomes:
        allowed = ", ".join(o.value for o in request.allowed_outcomes)
        return refuse(
            "outcome_not_allowed",
            f"{decision.outcome.value!r} is not allowed for {request.request_id} (allowed: {allowed})",
        )
    principal = ""
    if decision.proof is not None or policy.identity.requires_proof(request.verdict.risk_tier):
        where = Target(
            arrival.namespace, arrival.workflow_id, arrival.run_id, request.request_id, request.action_digest
        )
        proof = check_proof(decision, policy.identity, where, arrival.now)
        if proof.refused:
            return refuse(proof.code, proof.message)
        principal = proof.principal
    who = _check_reviewer(decision, target, policy, requester, principal)
    if who.refused:
        return who
    patched: dict[str, Any] | None = None
    amount = request.verdict.required_limit
    if decision.outcome is Outcome.MODIFY:
        patch_check = check_patch(decision.patch or {}, request, target.args_model, target.fixed, policy)
        if patch_check.refused:
            return refuse(patch_check.code, patch_check.message)
        patched, amount = patch_check.args, patch_check.required_limit
    if decision.outcome in APPROVING:
        limit = policy.approval_limit_of(decision.reviewer)
        if amount is not None and limit is not None and amount > limit:
            return refuse(
                "over_limit", f"{decision.reviewer!r} may approve up to {limit:g}; this action is {amount:g}"
            )
    return Check(target=target, patched_args=patched, principal=principal)


def _find_request(decision: Decision, requests: dict[str, OpenRequest], workflow_id: str) -> Check:
    request_id = decision.request_id
    bound = decision.proof.target_in(workflow_id) if decision.proof is not None else None
    if request_id is None and bound is not None:
        # A batch decision names no request: its proof names this workflow's.
        request_id = bound.request_id
    if request_id is None:
        open_ids = [rid for rid, r in requests.items() if r.is_open]
        if not open_ids:
            return refuse("no_open_request", "there is no open request to decide")
        if len(open_ids) > 1:
            return refuse(
                "ambiguous_request",
                f"{len(open_ids)} requests are open ({', '.join(open_ids)}): name one in request_id",
            )
        return Check(target=requests[open_ids[0]])
    target = requests.get(request_id)
    if target is None:
        return refuse("unknown_request", f"no request {request_id!r} in this task")
    return Check(target=target)


def _check_reviewer(
    decision: Decision, target: OpenRequest, policy: Policy, requester: str, principal: str
) -> Check:
    reviewer = decision.reviewer
    if normalize_name(reviewer) == normalize_name(requester):
        return refuse("self_decision", f"{reviewer!r} requested this task and may not decide on it")
    groups = policy.groups_of(reviewer)
    if not groups:
        return refuse("unknown_reviewer", f"{reviewer!r} is not in the reviewer directory")
    eligible = eligible_groups(target.request)
    if eligible and not set(groups) & set(eligible):
        return refuse(
            "outside_tier",
            f"{reviewer!r} ({', '.join(groups)}) is not in the current tier or a higher one "
            f"({', '.join(eligible)})",
        )
    if decision.outcome in APPROVING and (
        normalize_name(reviewer) in target.approvals or (principal and principal in target.principals)
    ):
        return refuse("duplicate_approver", f"{reviewer!r} already approved {target.request.request_id}")
    return Check(target=target)


def eligible_groups(request: ReviewRequest) -> list[str]:
    """Groups that may decide now: the current rung of the ladder and every higher one."""
    ladder = request.verdict.ladder
    if not ladder:
        return list(request.assignees)
    return [rung.group for rung in ladder[request.tier :]]
