"""Names of the activities workflows call by name (they never import activity code)."""

LOAD_TASK_CONTEXT = "load_task_context"
PROPOSE = "agent_propose"
REVISE = "agent_revise"
RECORD_AUDIT = "record_audit_events"
NOTIFY = "notify_reviewers"
RECORD_SHADOW = "record_shadow_verdict"
ESTABLISH_FACTS = "establish_facts"
