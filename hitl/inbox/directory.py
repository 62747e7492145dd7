"""Who may decide what, from the policies' reviewer directories: the inbox's authorization.

A request is matched to the policy that judged it by the verdict's policy hash; a request judged
by a policy no longer on disk is matched by every policy whose directory has the request's
groups. A reviewer may see and decide a request when one of their groups is at the request's
current rung of the ladder or a higher one (the gate's rule, `eligible_groups`). The gate checks
again, on the verified reviewer: this is what the pages show and refuse, not the last word.
"""

from dataclasses import dataclass
from pathlib import Path

from hitl.contracts import Outcome, ReviewRequest
from policies.model import Policy, PolicySnapshot
from policies.parse import snapshot
from workflows.gate.validation import eligible_groups


@dataclass(frozen=True)
class Standing:
    """What one reviewer may do with one request."""

    may_decide: bool
    """One of their groups may decide it now (else the page refuses to show it)."""
    may_approve: bool
    """They may also approve it: the amount is within their approval limit."""
    limit: float | None
    """Their approval limit for it (None: unlimited)."""
    who_can_approve: list[str]
    """Reviewers who may approve it (eligible, within their limit, not the ones who already did)."""


class Directory:
    """The reviewer directories of every policy file in a folder."""

    def __init__(self, snapshots: list[PolicySnapshot]) -> None:
        self.snapshots = snapshots
        self._by_hash = {s.hash: s.policy for s in snapshots}

    @classmethod
    def load(cls, folder: Path) -> "Directory":
        """Read every `*.toml` policy in `folder`.

        Raises:
            hitl.errors.PolicyError: A policy file does not validate.
        """
        return cls([snapshot(p.read_text(), str(p)) for p in sorted(folder.glob("*.toml"))])

    def reviewers(self) -> list[str]:
        """Every reviewer named in any directory, sorted."""
        return sorted({m for s in self.snapshots for g in s.policy.reviewers.values() for m in g.members})

    def is_reviewer(self, name: str) -> bool:
        """Whether `name` is in any policy's directory."""
        return any(s.policy.groups_of(name) for s in self.snapshots)

    def eligible(self, request: ReviewRequest) -> list[str]:
        """The groups that may decide `request` now: its current rung and every higher one."""
        return eligible_groups(request)

    def policies_for(self, request: ReviewRequest) -> list[Policy]:
        """The policy that judged `request`, or those whose directory has all its groups."""
        pinned = self._by_hash.get(request.verdict.policy_hash)
        if pinned is not None:
            return [pinned]
        groups = set(eligible_groups(request))
        return [s.policy for s in self.snapshots if groups <= set(s.policy.reviewers)]

    def standing(self, reviewer: str, request: ReviewRequest) -> Standing:
        """What `reviewer` may do with `request`."""
        eligible = set(eligible_groups(request))
        policies = self.policies_for(request)
        mine = {g for p in policies for g in p.groups_of(reviewer)}
        may_decide = bool(mine & eligible) if eligible else bool(mine)
        limit = _limit(policies, reviewer)
        amount = request.verdict.required_limit
        within = amount is None or limit is None or amount <= limit
        already = set(request.approvals)
        who = sorted(
            {
                member
                for p in policies
                for name, group in p.reviewers.items()
                if name in eligible
                for member in group.members
                if member not in already and _within(amount, p.approval_limit_of(member))
            }
        )
        approving = Outcome.APPROVE in request.allowed_outcomes
        return Standing(
            may_decide=may_decide,
            may_approve=may_decide and within and approving and reviewer not in already,
            limit=limit,
            who_can_approve=who,
        )


def _limit(policies: list[Policy], reviewer: str) -> float | None:
    limits = [p.approval_limit_of(reviewer) for p in policies if p.groups_of(reviewer)]
    if not limits or any(limit is None for limit in limits):
        return None
    return min(limit for limit in limits if limit is not None)


def _within(amount: float | None, limit: float | None) -> bool:
    return amount is None or limit is None or amount <= limit
