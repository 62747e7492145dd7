"""Reviewer-side helpers behind the `hitl` CLI: the queue, deciding one request, batches."""
