"""`workflow.patched()` ids: each names a change to the commands workflows issue, so that runs
recorded before it keep replaying the commands their history holds (a run without the marker
takes the old path to its end). Never reuse or rename an id once it has shipped.
"""

LOCAL_WRITES_AND_QUEUE_MEMO = "local-writes-queue-memo"
"""Audit writes, the policy load and the facts of each action run as local activities
(`workflows.local_first`); a decision's audit events ride with the write-ahead flush that follows
(`workflows.audit_log`); the gate publishes its open requests in a memo and upserts only search attributes that changed
(`workflows.gate.visibility`)."""

AUDIT_WRITES_THROUGH_SERVER = "audit-writes-through-server"
"""Audit writes are regular activities again (`workflows.audit_log`): a local write made in a
workflow task that never completed (its worker killed) left a row that history does not hold,
and the retried task's write of that key conflicted with it. Reads (policy, facts) stay local."""

WRITE_AHEAD_UP_TO_CALL = "write-ahead-up-to-call"
"""The audit flush before an action writes what was recorded before it was called; events recorded
while it writes (a notice delivered meanwhile) no longer hold the action for another audit
round trip (`workflows.audit_log.AuditLog.flush`, `ahead=True`)."""

AUDIT_RIDES_WITH_ACTION = "audit-rides-with-action"
"""The write-ahead audit batch rides in the tool's own activity input and is written by it before
the tool runs (`activities.tools.write_ahead`, `workflows.tool_runner`): one round trip per action
instead of an audit activity and then the tool. A write made while the task waits stops once the
wait has ended, leaving the rest (a decision that came meanwhile) to ride with the action."""

MESSAGES_AFTER_CARRY = "messages-after-carry"
"""A decision (or an unknown signal) that arrives in the same workflow task as the run's start is
applied once the run has restored what it carries over (`workflows.gate.handlers`): a continued
run's restore used to overwrite it, so the decision and its audit event were lost."""
