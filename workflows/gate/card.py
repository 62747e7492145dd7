"""The markdown context card a reviewer reads: what, the facts the system established next to
the agent's claims, why, sources, options, rules (with the fact or claim behind each), command.

Pure string building; the workflow shows the card as its current details (Temporal UI and
`temporal workflow metadata`), in the `pending` query and in notifications.
"""

import json
import shlex
from datetime import datetime

from hitl.contracts.facts import claim_lines
from hitl.contracts.review import Outcome, ReviewRequest
from hitl.contracts.verdict import FiredRule
from hitl.names import DECIDE


def decide_command(workflow_id: str, request_id: str, outcome: Outcome = Outcome.APPROVE) -> str:
    """Return the exact Temporal CLI command that sends a signed decision to this request.

    `hitl sign` prints the decision signed with the reviewer's key (docs/identity.md).
    """
    wid, rid = shlex.quote(workflow_id), shlex.quote(request_id)
    sign = f"hitl sign {outcome.value.replace('_', '-')} {wid} --request {rid} --as YOUR_ID"
    return f'temporal workflow signal --workflow-id {wid} --name {DECIDE} --input "$({sign})"'


def ui_link(ui_base_url: str, namespace: str, workflow_id: str) -> str:
    """Return the Web UI address of a workflow."""
    return f"{ui_base_url.rstrip('/')}/namespaces/{namespace}/workflows/{workflow_id}"


def render_card(
    request: ReviewRequest, workflow_id: str, ui_url: str, can_approve: list[str] | None = None
) -> str:
    """Render the context card of one request; `can_approve` names the groups whose approval limit
    covers the amount, when the current tier's does not."""
    action = request.action
    verdict = request.verdict
    lines = [
        f"### {request.kind.value.replace('_', ' ').title()} `{request.request_id}`: "
        f"{action.summary or action.tool}",
        "",
        f"**Tool** `{action.tool}` · **risk** {verdict.risk_tier.value} · "
        f"**confidence** {action.confidence:.2f} · **tier** {request.tier + 1}"
        f"/{max(len(verdict.ladder), 1)} ({', '.join(request.assignees) or 'anyone'})",
        f"**Deadline** {_when(request.deadline)}",
        f"**Action digest** `{request.action_digest}`",
        "",
        "**Arguments**",
        "```json",
        json.dumps(action.args, indent=2, sort_keys=True, default=str),
        "```",
    ]
    if verdict.facts is not None:
        lines += ["", "**Facts** (established by the system)", *[f"- {f}" for f in verdict.facts.lines()]]
    claims = claim_lines(action)
    if claims:
        lines += [
            "",
            "**Claims** (the agent's; they can only tighten the verdict)",
            *[f"- {c}" for c in claims],
        ]
    if action.question:
        lines += ["", f"**Question** {action.question}"]
    if action.rationale:
        lines += ["", f"**Why** {action.rationale}"]
    if action.sources:
        lines += ["", "**Sources**", *[f"- {s}" for s in action.sources]]
    if action.alternatives:
        lines += ["", "**Options**", *[f"- {a}" for a in action.alternatives]]
    if action.recommendation:
        lines += ["", f"**Recommendation** {action.recommendation}"]
    if verdict.reasons:
        lines += ["", "**Rules that fired**", *[_rule(r) for r in verdict.reasons]]
    if can_approve is not None:
        who = ", ".join(can_approve) or "nobody in the directory"
        lines += ["", f"**Who can approve** the amount is above this tier's limit: {who}"]
    if verdict.quorum > 1:
        so_far = ", ".join(request.approvals) or "none yet"
        lines += [
            "",
            f"**Quorum** {len(request.approvals)} of {verdict.quorum} approvals ({so_far})",
        ]
    allowed = ", ".join(o.value for o in request.allowed_outcomes)
    lines += [
        "",
        f"**Decide** ({allowed})",
        "```",
        decide_command(workflow_id, request.request_id, request.allowed_outcomes[0]),
        "```",
        f"[Open in the Temporal UI]({ui_url})",
    ]
    return "\n".join(lines)


def _rule(rule: FiredRule) -> str:
    fired_by = f" _({rule.source}: {rule.basis})_" if rule.source else ""
    return f"- `{rule.id}` {rule.text}{fired_by}"


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "none (holding until someone decides)"
    return moment.strftime("%Y-%m-%d %H:%M UTC")
