"""A reviewer's `modify`: the patched action must still be one the policy lets this reviewer run.

The patch is merged over the proposed arguments and validated against the tool's argument model;
arguments the tool declares fixed (the order, the recipient, the currency) cannot change; and
the patched action is evaluated by the policy again, so its tier, amount and limits are those of
what will run, not of what was proposed. Pure.
"""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from hitl.contracts.review import ReviewRequest
from hitl.contracts.verdict import Mode
from policies.evaluate import EvaluationContext, action_amount, evaluate
from policies.model import Policy


@dataclass(frozen=True)
class PatchCheck:
    """The patched arguments and the amount a reviewer must be allowed to approve, or a refusal."""

    args: dict[str, Any] | None = None
    required_limit: float | None = None
    code: str = ""
    message: str = ""

    @property
    def refused(self) -> bool:
        return bool(self.code)


def check_patch(
    patch: dict[str, Any],
    request: ReviewRequest,
    args_model: type[BaseModel] | None,
    fixed: frozenset[str],
    policy: Policy,
) -> PatchCheck:
    """Check a `modify` patch on `request`.

    Returns:
        The patched arguments, or a refusal: `fixed_argument`, `invalid_patch`, `patch_blocked`.
    """
    action = request.action
    touched = sorted(name for name in patch if name in fixed and patch[name] != action.args.get(name))
    if touched:
        return PatchCheck(
            code="fixed_argument",
            message=f"{action.tool} does not let a reviewer change {', '.join(touched)}",
        )
    merged = {**action.args, **patch}
    if args_model is not None:
        try:
            merged = args_model.model_validate(merged).model_dump(mode="json")
        except ValidationError as err:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors())
            return PatchCheck(
                code="invalid_patch", message=f"the patch does not fit {action.tool}: {problems}"
            )
    patched = action.model_copy(update={"args": merged})
    verdict = evaluate(policy, patched, EvaluationContext(policy_hash=request.verdict.policy_hash))
    if verdict.mode is Mode.BLOCK:
        rules = ", ".join(r.id for r in verdict.reasons)
        return PatchCheck(code="patch_blocked", message=f"the policy blocks the patched action ({rules})")
    rule = policy.tools.get(action.tool)
    amount = verdict.required_limit
    if amount is None and rule is not None:
        amount = action_amount(rule, patched)
    return PatchCheck(args=merged, required_limit=amount)
