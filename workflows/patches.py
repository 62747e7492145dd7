"""`workflow.patched()` ids: each names a change to the commands workflows issue, so that runs
recorded before it keep replaying the commands their history holds (a run without the marker
takes the old path to its end). Never reuse or rename an id once it has shipped.

Workflow code asks `on(change)`, never `workflow.patched()` itself: a run started since
`DECIDED_AT_START` takes every change here, decided once in its first workflow task.
"""

from temporalio import workflow

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

DECIDED_AT_START = "decided-at-start"
"""Every change above is decided once, in the run's first workflow task (`decide()` in
`GatedWorkflow.__init__`), and taken; the run records this one marker and no other.

Before it, each change was decided where the code first met it, so its marker landed in whatever
workflow task the code had reached. On replay, `workflow.patched()` answers True only while the
worker replays the workflow task whose commands hold the marker; the answer is kept for the rest
of the run. A local activity whose result reached history in one workflow task but the code in
the next (its worker's task heartbeat beat the result: a starved worker under load) runs the
code one task earlier on replay, the change is answered False there, and the next marker is a
nondeterminism error that stops the task (seen in full test runs for `audit-rides-with-action`
and `audit-writes-through-server`; `tests/workflow/test_patches_decided_at_start.py`). The first
workflow task is the same one live and on replay, wherever later boundaries fall."""


def decide() -> None:
    """Decide every change for this run; call it in the run's first workflow task, before any
    other workflow code asks `on()` (the workflow's `__init__`)."""
    workflow.patched(DECIDED_AT_START)


def on(change: str) -> bool:
    """Whether this run takes `change`: always when it decided at its start; otherwise as its
    history's marker says (a run recorded before `DECIDED_AT_START` replays as it ran)."""
    return workflow.patched(DECIDED_AT_START) or workflow.patched(change)
