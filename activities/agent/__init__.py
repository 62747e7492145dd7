"""Agents behind a small interface: propose the next action, revise one from reviewer feedback.

`AgentActivities` dispatches by task kind to a `Planner`. The rules-based planners are
deterministic (the demo, tests and benchmarks use them).
"""
