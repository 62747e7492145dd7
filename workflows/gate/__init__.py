"""The reusable human gate: open a review request, wait durably, escalate, accept decisions.

Any workflow gets a gate by deriving from `GatedWorkflow` (which declares the `decide` signal and
update and the `pending` and `status` queries) and calling `await self.gate.ask(...)`.
All I/O happens in activities.
"""
