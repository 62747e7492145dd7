"""The gate's answers in words a reviewer reads at a glance: refusal codes, outcomes, time left."""

from datetime import datetime

from hitl.review.deciding import Answer, DecideAnswer

REFUSALS: dict[str, str] = {
    "over_limit": "the amount is above your approval limit",
    "outside_tier": "your groups may not decide this request at its current escalation tier",
    "unknown_reviewer": "you are not in the reviewer directory of this task's policy",
    "self_decision": "you requested this task, so you may not decide it (segregation of duties)",
    "duplicate_approver": "you already approved this request; the quorum needs someone else",
    "outcome_not_allowed": "that decision is not offered for this request",
    "invalid_patch": "the changed arguments do not fit the tool",
    "patch_blocked": "the policy blocks the action as changed",
    "fixed_argument": "that argument is bound to the task and cannot be changed",
    "request_closed": "the request is already closed",
    "after_fallback": "nobody decided in time and the policy's fallback settled it",
    "no_open_request": "the task has no open request",
    "unknown_request": "the task has no such request",
    "ambiguous_request": "the task has several open requests",
    "unverified": "this risk tier counts only verified decisions, and this one carried no proof",
    "unknown_key": "the signing key is not pinned for you in the policy",
    "bad_signature": "the proof does not match this decision: something was changed on the way",
    "bad_token": "the inbox's token did not verify with the keys the policy pins",
    "wrong_issuer": "the policy does not trust this inbox as an issuer",
    "wrong_audience": "the inbox's token names another audience than the policy pins",
    "wrong_reviewer": "the proof names another reviewer",
    "wrong_namespace": "the proof was made for another namespace",
    "wrong_workflow": "the proof was made for another task",
    "wrong_run": "the proof was made for another run of this task",
    "wrong_request": "the proof was made for another request",
    "stale_action": "the action changed since you opened it: reload and decide on the new version",
    "expired": "the proof expired before it arrived",
    "refused": "the gate refused it",
}
"""Gate refusal code -> what it means for the reviewer."""

DONE: dict[str, str] = {
    "approve": "Approved",
    "modify": "Approved with changes",
    "reject": "Rejected",
    "request_changes": "Sent back for changes",
    "answer": "Answered",
    "revert": "Reverted",
    "retry": "Retry requested",
    "skip": "Skipped",
    "abort": "Aborted",
}


def in_words(answer: DecideAnswer, outcome: str, where: str) -> tuple[str, str]:
    """The (kind, sentence) a reviewer is shown for the gate's answer to a decision on `where`.

    Kinds: `ok` (accepted or already applied), `refused` (the gate said no), `error` (nothing
    could be delivered).
    """
    if answer.answer is Answer.ACCEPTED:
        return "ok", f"{DONE.get(outcome, outcome)} {where}: accepted."
    if answer.answer is Answer.DUPLICATE:
        return "ok", f"{where}: this decision was already applied; nothing changed."
    if answer.answer is Answer.REFUSED:
        meaning = REFUSALS.get(answer.code, answer.code.replace("_", " "))
        detail = f" ({answer.message})" if answer.message else ""
        return "refused", f"Refused, {answer.code}: {meaning}{detail}."
    if answer.answer is Answer.CLOSED:
        return "refused", f"{where}: the task has already ended; nothing is waiting for a decision."
    return "error", f"{where}: not delivered: {answer.message}"


def describe_duration(deadline: datetime | None, now: datetime) -> str:
    """Time left until `deadline`: `2h 05m left`, `overdue 12m`, or `no deadline`."""
    if deadline is None:
        return "no deadline"
    seconds = int((deadline - now).total_seconds())
    minutes = abs(seconds) // 60
    hours, mins = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    span = f"{days}d {hours}h" if days else f"{hours}h {mins:02d}m" if hours else f"{mins}m"
    return f"overdue {span}" if seconds < 0 else f"{span} left"
