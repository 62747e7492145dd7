"""Deterministic workflow code: the reusable human gate, the agent-task workflow, examples.

Nothing here performs I/O, reads a clock, draws random numbers or prints: all I/O happens in
activities, time comes from `workflow.now()` and ids from `workflow.uuid4()`.
"""
