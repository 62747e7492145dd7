"""Shared state of the human gate: its requests, decisions, refusals and what it publishes.

`HumanGate` holds this core and hands it to its two parts, the decision desk (`decisions.py`)
and the SLA ladder (`ladder.py`). Every change of a request's state goes through `advance()`,
which asks the lifecycle's transition function (`lifecycle.py`). All I/O happens in activities.
"""

from collections.abc import Callable
from typing import Any, NoReturn, Protocol

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl import search_attributes as sa
    from hitl.contracts import (
        AppliedDecision,
        Outcome,
        Refusal,
        ReviewRequest,
    )
    from policies.context import TaskContext
    from policies.model import Policy

from workflows.audit_log import AuditLog
from workflows.gate import visibility
from workflows.gate.card import render_card, ui_link
from workflows.gate.lifecycle import Event, transition
from workflows.gate.notices import Notifier
from workflows.gate.validation import OpenRequest

KEPT_REFUSALS = 100
"""Refusals the `status` query keeps: a script flooding a task with bad decisions must not grow
the query answer (and the workflow's memory) without bound."""


class Continuer(Protocol):
    """What lets a task continue as new while its main line waits at this gate."""

    def ready(self) -> bool:
        """The history passed its threshold and nothing is in flight."""
        ...

    def go(self) -> NoReturn:
        """Continue as new now (raises `ContinueAsNewError`)."""
        ...


class GateCore:
    """Requests and their publication; the parts of the gate every other part uses."""

    def __init__(self, task_id: str, requester: str, audit: AuditLog) -> None:
        self.task_id = task_id
        self.requester = requester
        self.audit = audit
        self.policy = Policy(name="unloaded")
        self.policy_hash = ""
        self.ui_base_url = ""
        self.task_kind = ""
        self.requests: dict[str, OpenRequest] = {}
        self.decisions: list[AppliedDecision] = []
        self.refusals: list[Refusal] = []
        """The latest refusals (at most `KEPT_REFUSALS`); every one is in the audit trail."""
        self.refusals_total = 0
        self.status = sa.RUNNING
        self.idle_note = ""
        self.notifier = Notifier(task_id, audit)
        self.earlier_runs: list[str] = []
        """Run ids of this task's earlier runs (it continued as new): proofs bound to them count."""
        self.parked: OpenRequest | None = None
        """The request the task's main line waits on, when it may continue as new while waiting."""
        self.continuer: Continuer | None = None
        self.ready = False
        """Whether the run has restored what it carries over (or begun afresh): until then the
        handlers hold what arrives in `early`."""
        self.early: list[Callable[[], None]] = []

    def start(self) -> None:
        """The run's state is in place: apply, in arrival order, what the handlers held."""
        self.ready = True
        early, self.early = self.early, []
        for apply in early:
            apply()

    def continuing(self, entry: OpenRequest) -> bool:
        """Whether the task should continue as new now, instead of waiting on `entry` any longer."""
        return self.parked is entry and self.continuer is not None and self.continuer.ready()

    def configure(self, context: TaskContext, task_kind: str) -> None:
        """Set the policy, UI address, notification queue and task kind from the pinned context."""
        snapshot = context.policy
        ui_base_url = context.ui_base_url
        self.notifier.task_queue = context.notify_task_queue
        self.notifier.per_channel = context.notify_per_channel
        self.policy = snapshot.policy
        self.policy_hash = snapshot.hash
        self.ui_base_url = ui_base_url
        self.task_kind = task_kind

    @property
    def open_requests(self) -> list[ReviewRequest]:
        """Requests still waiting for a decision."""
        return [r.request for r in self.requests.values() if r.is_open]

    def advance(
        self, entry: OpenRequest, event: Event, outcome: Outcome | None = None, **changes: Any
    ) -> bool:
        """Move a request through its lifecycle and publish it; False (and nothing changes) when
        the event is not allowed in the request's state, e.g. a timer after the decision.

        Args:
            entry: The request.
            event: What happened.
            outcome: How the request was settled, for events that settle it.
            **changes: Other `ReviewRequest` fields the event changes (tier, deadline, ...).
        """
        step = transition(entry.request.state, event)
        if step.refused:
            return False
        if outcome is not None:
            entry.outcome = outcome
        request = entry.request.model_copy(update={**changes, "state": step.state})
        # The card shows what the changes touch (tier, deadline, approvals); the state is not on it.
        entry.request = self.with_card(request) if changes else request
        self.publish()
        return True

    def with_card(self, request: ReviewRequest) -> ReviewRequest:
        info = workflow.info()
        link = ui_link(self.ui_base_url, info.namespace, info.workflow_id)
        card = render_card(request, info.workflow_id, link, self.able_to_approve(request))
        return request.model_copy(update={"card": card, "ui_url": link})

    def able_to_approve(self, request: ReviewRequest) -> list[str] | None:
        """The ladder's groups (from the current tier up) whose limit covers the amount, when some
        assignee's does not; None when every assignee may approve it."""
        amount = request.verdict.required_limit
        if amount is None:
            return None
        groups = self.policy.reviewers

        def covers(group: str) -> bool:
            found = groups.get(group)
            return found is not None and (found.approval_limit is None or found.approval_limit >= amount)

        if all(covers(g) for g in request.assignees):
            return None
        return [rung.group for rung in request.verdict.ladder[request.tier :] if covers(rung.group)]

    def publish(self) -> None:
        """Refresh search attributes and current details from the open requests."""
        open_requests = self.open_requests
        visibility.publish(open_requests, "waiting" if open_requests else self.status, self.idle_note)
