"""HITL metrics, counted from audit rows and feedback rows the audit activity actually inserted.

The audit writes are idempotent (event and feedback keys), so counting only new rows after the
transaction commits gives each event's metric once however often the activity is retried.

| instrument | kind | attributes |
|---|---|---|
| `hitl.decisions` | counter | outcome, request_kind, task_kind, action_type, by_fallback |
| `hitl.decision.duration` (s) | histogram | outcome, request_kind, task_kind, action_type, by_fallback |
| `hitl.gates.pending` | up-down counter | request_kind, action_type |
| `hitl.escalations` | counter | tier |
| `hitl.sla_breaches` | counter | fallback (an approval ladder ran out: reject, hold or approve) |
"""

from opentelemetry.metrics import Meter

from hitl.contracts import AuditEvent, AuditKind, FeedbackRecord


class AuditMetrics:
    """The instruments above, on one meter."""

    def __init__(self, meter: Meter) -> None:
        self.decisions = meter.create_counter(
            "hitl.decisions", unit="{decision}", description="Review requests settled, by outcome"
        )
        self.duration = meter.create_histogram(
            "hitl.decision.duration", unit="s", description="Time from a request opening to its decision"
        )
        self.pending = meter.create_up_down_counter(
            "hitl.gates.pending", unit="{request}", description="Review requests waiting for a human"
        )
        self.escalations = meter.create_counter(
            "hitl.escalations", unit="{escalation}", description="Requests moved to the next reviewer tier"
        )
        self.sla_breaches = meter.create_counter(
            "hitl.sla_breaches",
            unit="{request}",
            description="Approval requests whose escalation ladder ran out",
        )

    def observe(self, events: list[AuditEvent], feedback: list[FeedbackRecord]) -> None:
        """Count newly inserted rows (call after the transaction committed)."""
        for e in events:
            if e.kind is AuditKind.GATED:
                self.pending.add(1, _request_attrs(e))
            elif e.kind is AuditKind.REQUEST_WITHDRAWN:
                self.pending.add(-1, _request_attrs(e))
            elif e.kind is AuditKind.ESCALATED:
                self.escalations.add(1, {"tier": int(e.data.get("tier", 0))})
            elif e.kind is AuditKind.FALLBACK and e.data.get("request_kind") == "approval":
                self.sla_breaches.add(1, {"fallback": str(e.data.get("fallback", ""))})
        for f in feedback:
            attrs: dict[str, str | bool] = {
                "outcome": f.outcome,
                "request_kind": f.request_kind,
                "task_kind": f.task_kind,
                "action_type": f.action_type,
                "by_fallback": f.by_fallback,
            }
            self.decisions.add(1, attrs)
            self.duration.record((f.decided_at - f.opened_at).total_seconds(), attrs)
            self.pending.add(-1, {"request_kind": f.request_kind, "action_type": f.action_type})


def _request_attrs(e: AuditEvent) -> dict[str, str]:
    return {"request_kind": str(e.data.get("kind", "approval")), "action_type": str(e.data.get("tool", ""))}
