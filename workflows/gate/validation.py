"""One validation function behind the `decide` signal and the `decide` update.

Pure: it looks only at the gate's state, the policy's reviewer directory and the decision, so
it can run in an update validator (which must not change state) and in a signal handler alike.
"""

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from hitl.contracts.review import Decision, Outcome, RequestState, ReviewRequest
from policies.model import Policy
from workflows.gate.lifecycle import OPEN_STATES, Event, transition

APPROVING = (Outcome.APPROVE, Outcome.MODIFY)
"""Outcomes that let the action execute, so the reviewer's approval limit applies."""


@dataclass
class OpenRequest:
    """Gate-side state of one review request (mutable; lives in the workflow)."""

    request: ReviewRequest
    args_model: type[BaseModel] | None = None
    approvals: dict[str, Decision] = field(default_factory=dict)
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
class Check:
    """Result of validating a decision: the request it addresses, or a refusal."""

    target: OpenRequest | None = None
    code: str = ""
    message: str = ""
    patched_args: dict[str, Any] | None = None

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
) -> Check:
    """Validate a decision against the gate's requests and the reviewer directory.

    Returns:
        The addressed request (and patched arguments for `modify`), or a refusal with a stable
        code: `no_open_request`, `ambiguous_request`, `unknown_request`, `after_fallback`,
        `request_closed`, `outcome_not_allowed`, `unknown_reviewer`, `self_decision`,
        `outside_tier`, `duplicate_approver`, `invalid_patch`, `over_limit`.
    """
    found = _find_request(decision, requests)
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
    who = _check_reviewer(decision, target, policy, requester)
    if who.refused:
        return who
    patched: dict[str, Any] | None = None
    if decision.outcome is Outcome.MODIFY:
        patch_check = _apply_patch(decision, target)
        if patch_check.refused:
            return patch_check
        patched = patch_check.patched_args
    if decision.outcome in APPROVING:
        limit_check = _check_limit(decision, target, policy, patched)
        if limit_check.refused:
            return limit_check
    return Check(target=target, patched_args=patched)


def _find_request(decision: Decision, requests: dict[str, OpenRequest]) -> Check:
    if decision.request_id is None:
        open_ids = [rid for rid, r in requests.items() if r.is_open]
        if not open_ids:
            return refuse("no_open_request", "there is no open request to decide")
        if len(open_ids) > 1:
            return refuse(
                "ambiguous_request",
                f"{len(open_ids)} requests are open ({', '.join(open_ids)}): name one in request_id",
            )
        return Check(target=requests[open_ids[0]])
    target = requests.get(decision.request_id)
    if target is None:
        return refuse("unknown_request", f"no request {decision.request_id!r} in this task")
    return Check(target=target)


def _check_reviewer(decision: Decision, target: OpenRequest, policy: Policy, requester: str) -> Check:
    reviewer = decision.reviewer
    if reviewer == requester:
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
    if decision.outcome in APPROVING and reviewer in target.approvals:
        return refuse("duplicate_approver", f"{reviewer!r} already approved {target.request.request_id}")
    return Check(target=target)


def eligible_groups(request: ReviewRequest) -> list[str]:
    """Groups that may decide now: the current rung of the ladder and every higher one."""
    ladder = request.verdict.ladder
    if not ladder:
        return list(request.assignees)
    return [rung.group for rung in ladder[request.tier :]]


def _apply_patch(decision: Decision, target: OpenRequest) -> Check:
    merged = {**target.request.action.args, **(decision.patch or {})}
    if target.args_model is None:
        return Check(target=target, patched_args=merged)
    try:
        validated = target.args_model.model_validate(merged)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors())
        return refuse("invalid_patch", f"the patch does not fit {target.request.action.tool}: {problems}")
    return Check(target=target, patched_args=validated.model_dump(mode="json"))


def _check_limit(
    decision: Decision,
    target: OpenRequest,
    policy: Policy,
    patched: dict[str, Any] | None,
) -> Check:
    amount = target.request.verdict.required_limit
    tool_rule = policy.tools.get(target.request.action.tool)
    if patched is not None and tool_rule is not None and tool_rule.amount_arg:
        value = patched.get(tool_rule.amount_arg)
        if isinstance(value, int | float) and not isinstance(value, bool):
            amount = float(value)
    limit = policy.approval_limit_of(decision.reviewer)
    if amount is not None and limit is not None and amount > limit:
        return refuse(
            "over_limit",
            f"{decision.reviewer!r} may approve up to {limit:g}; this action is {amount:g}",
        )
    return Check(target=target)
