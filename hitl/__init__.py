"""temporal-hitl: a human-in-the-loop control plane for AI agents on Temporal.

`hitl` holds what every other package shares: the typed contracts (`hitl.contracts`), the
names of task queues, messages and search attributes, settings read at the process edges,
the client helpers services use to start tasks and decide, and the `hitl` command line.
"""
