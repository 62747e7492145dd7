"""`DecisionHandlers`: the message handlers every gated workflow shares.

`workflows.gated.GatedWorkflow` derives from it and creates `self.gate`; such a workflow
accepts decisions as the `decide` signal (Temporal CLI, Web UI, batch signal) and the
`decide` update (services, the `hitl` CLI), and answers the `pending` and `status` queries.
One validation function serves both ways in. All I/O happens in activities.
"""

import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import (
        Decision,
        DecisionReceipt,
        EmptyQuery,
        PendingResult,
        Refusal,
        StepOutcome,
        TaskStatusView,
    )
    from hitl.contracts.text import excerpt
    from hitl.names import DECIDE, NOT_READY, PENDING_QUERY, STATUS_QUERY

from workflows import patches
from workflows.gate.gate import HumanGate
from workflows.gate.intake import MAX_DECISION_BYTES, Malformed, parse_decision

Handler = TypeVar("Handler", bound=Callable[..., Any])


def raw_payload(handler: Handler) -> Handler:
    """Have the SDK hand `handler` its payload undecoded (a `RawValue`, decrypted by the codec).

    The SDK passes raw values only to a handler whose parameters are typed `RawValue`, one per
    payload; the handler itself takes `*args`, so no argument, one or several all reach it (with
    several the SDK decodes them without a type, and the handler refuses them by count). The
    signature shown to the SDK is one optional `RawValue` parameter.
    """
    handler.__annotations__ = {"payload": RawValue, "return": handler.__annotations__.get("return")}
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter("payload", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=RawValue),
        ]
    )
    return handler


class DecisionHandlers:
    """Message handlers of workflows that hold a `HumanGate` in `self.gate`.

    A workflow with steps of its own shows them in the `status` query by overriding
    `status_steps()`; the gate needs nothing else from it.
    """

    gate: HumanGate

    @workflow.signal(name=DECIDE)
    @raw_payload
    def decide_signal(self, *args: RawValue) -> None:
        """Apply a decision sent as a signal, or record why it was refused.

        The payload arrives raw and is decoded here: see `workflows.gate.intake`.
        """
        self._when_started(lambda: self._decide_by_signal(args))

    def _decide_by_signal(self, args: Sequence[RawValue]) -> None:
        decision = self._intake(args, via="signal")
        if decision is not None:
            self.gate.submit(decision, via="signal")

    @workflow.update(name=DECIDE)
    @raw_payload
    def decide_update(self, *args: RawValue) -> DecisionReceipt:
        """Apply a decision sent as an update, or record why it was refused and fail the update
        with the refusal's code (a non-retryable `ApplicationError` whose type is the code), a
        payload that is not a decision included.

        The validator only turns away a payload too large to enter history (`too_large`, before
        anything is recorded: accepting it would fail every later workflow task). Every other
        refused update enters history and the audit trail like a refused signal, so an attempt to
        forge a decision is on record whichever way it came (docs/identity.md measures what that
        costs in history).
        """
        decision = self._intake(args, via="update")
        if decision is None:
            refusal = self.gate.refusals[-1]
            raise ApplicationError(refusal.message, type=refusal.code, non_retryable=True)
        receipt = self.gate.submit(decision, via="update")
        if not receipt.accepted:
            raise ApplicationError(receipt.message, type=receipt.code, non_retryable=True)
        return receipt

    @decide_update.validator
    @raw_payload
    def decide_update_fits(self, *args: RawValue) -> None:
        """Refuse an update whose payload is larger than a decision can be (`too_large`), or
        one that arrives before the run has restored its state (`not_ready`, send it again)."""
        if not self.gate.core.ready:
            raise ApplicationError(
                "the task is starting its run; send the decision again in a moment",
                type=NOT_READY,
                non_retryable=True,
            )
        size = sum(a.payload.ByteSize() if isinstance(a, RawValue) else len(str(a)) for a in args)
        if size > MAX_DECISION_BYTES:
            raise ApplicationError(
                f"the update carries {size} bytes; a decision is at most {MAX_DECISION_BYTES}",
                type="too_large",
                non_retryable=True,
            )

    def _when_started(self, apply: Callable[[], None]) -> None:
        """Apply a signal now, or hold it until the run has restored its state: a continued run's
        restore would overwrite what it did (its decision and audit event lost)."""
        if self.gate.core.ready or not patches.on(patches.MESSAGES_AFTER_CARRY):
            apply()
        else:
            self.gate.core.early.append(apply)

    def _intake(self, args: Sequence[RawValue], via: str) -> Decision | None:
        """The decision the payload holds, or None once its refusal is recorded."""
        try:
            return parse_decision(args)
        except Malformed as err:
            self.gate.record_refusal(
                Refusal(code=err.code, message=err.message, reviewer=err.reviewer, via=via, at=workflow.now())
            )
            return None

    @workflow.signal(dynamic=True)
    def unknown_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Record a signal under a name this workflow does not handle (a typo in a script)."""
        del args
        refusal = Refusal(
            code="unknown_signal",
            message=f"this workflow takes decisions as the {DECIDE!r} signal, not {excerpt(name, 80)!r}",
            via="signal",
            at=workflow.now(),
        )
        self._when_started(lambda: self.gate.record_refusal(refusal))

    @workflow.query(name=PENDING_QUERY)
    def pending(self, query: EmptyQuery | None = None) -> PendingResult:
        """Open requests with their context cards."""
        del query
        return PendingResult(requests=self.gate.open_requests)

    @workflow.query(name=STATUS_QUERY)
    def status(self, query: EmptyQuery | None = None) -> TaskStatusView:
        """Steps, open requests, accepted decisions and refusals."""
        del query
        return self.status_view()

    def status_steps(self) -> list[StepOutcome]:
        """The workflow's steps so far, for the `status` query; none unless overridden."""
        return []

    def status_view(self) -> TaskStatusView:
        """Build the status answer from the gate and the workflow's steps."""
        return TaskStatusView(
            task_id=self.gate.task_id,
            # While a request waits for a reviewer the task is `waiting` (as its search attribute says).
            phase="waiting" if self.gate.open_requests else self.gate.status,
            policy_hash=self.gate.policy_hash,
            steps=self.status_steps(),
            open_requests=self.gate.open_requests,
            decisions=self.gate.decisions,
            refusals=self.gate.refusals,
            refusals_total=self.gate.refusals_total,
            audit_head=self.gate.core.audit.head,
        )
