"""Timeouts and retry policies for the activities workflows call, each with its reason."""

from datetime import timedelta

from temporalio.common import RetryPolicy

SETUP_TIMEOUT = timedelta(seconds=30)
"""Loading a policy reads a small file and a few rows."""

FACTS_TIMEOUT = timedelta(seconds=30)
"""Facts run as a local activity on the workflow's worker: a dead worker's workflow task, and the
facts with it, move to another worker after the sticky schedule-to-start timeout."""
FACTS_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
"""Facts are read from PostgreSQL: while it is down the step waits; the policy never judges
without them."""

AGENT_TIMEOUT = timedelta(minutes=2)
"""An LLM call can take a while; longer than this is a hung connection."""
AGENT_HEARTBEAT = timedelta(seconds=10)
"""The agent worker heartbeats while a call runs (`activities.heartbeat`): a killed worker's call
is retried after this long instead of after `AGENT_TIMEOUT`."""
AGENT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=5)
"""Model endpoints fail transiently (rate limits, 5xx); five tries, then an incident gate asks a
human to retry, skip or abort."""

TOOL_TIMEOUT = timedelta(seconds=30)
TOOL_HEARTBEAT = timedelta(seconds=5)
"""A tool is a few database statements (an external API call at most): a killed worker's attempt
is retried after this long instead of after `TOOL_TIMEOUT`. Undo calls use it too."""
TOOL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_attempts=3,
    non_retryable_error_types=["ToolInvalidArgs", "ToolNotFound"],
)
"""Three attempts, then the circuit breaker opens an incident gate instead of retrying forever. An
attempt waits out an unreachable database within itself (`activities.tools.outage`): three ride
out an outage of about 80 s; only a tool's own failures spend them quickly."""

UNDO_TIMEOUT = timedelta(seconds=30)
UNDO_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))
"""An undo must happen: it retries until it succeeds."""

AUDIT_TIMEOUT = timedelta(seconds=30)
AUDIT_HEARTBEAT = timedelta(seconds=5)
"""Audit writes queue for the chain's lock under load, so start-to-close stays generous; the
heartbeat lets a killed worker's write be retried after 5 s."""
AUDIT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
"""No attempt limit: while PostgreSQL is down the workflow waits, and nothing is lost."""

NOTIFY_TIMEOUT = timedelta(seconds=30)
NOTIFY_SCHEDULE_TO_CLOSE = timedelta(minutes=30)
"""A channel that stays down for half an hour is given up on; the request stays visible in the
Temporal UI and CLI, and the gate's SLA timers never wait for a notice."""
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=2), maximum_attempts=20
)
"""Backing off from 2 s to 2 min, 20 attempts span about the same half hour; the count also bounds
a notice where the clock does not (a time-skipping test server retried one thousands of times)."""
