"""Storable substitutes for audit events and feedback rows PostgreSQL refused.

A row whose content PostgreSQL cannot store (a NUL, a lone surrogate, a number jsonb does not
take) must neither block the audit flusher nor leave a gap in the chain: the workflow writes the
same rows under the same keys with every such value escaped, or, past a length limit, replaced by
its length and SHA-256 (`hitl.contracts.text.scrub`). A substituted row says so in
`data["substituted"]`. Pure: workflow code.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import AuditEvent, FeedbackRecord
    from hitl.contracts.text import excerpt, scrub

SUBSTITUTED = "content PostgreSQL refused, escaped (long values as length and sha256)"


def storable_event(event: AuditEvent) -> AuditEvent:
    """`event` with its actor and data made storable; marked when anything changed."""
    data = scrub(event.data)
    actor = excerpt(event.actor)
    if (data, actor) == (event.data, event.actor):
        return event
    return event.model_copy(update={"actor": actor, "data": {**data, "substituted": SUBSTITUTED}})


def storable_feedback(record: FeedbackRecord) -> FeedbackRecord:
    """`record` with every value made storable."""
    return FeedbackRecord.model_validate(scrub(record.model_dump(mode="json")))
