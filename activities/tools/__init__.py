"""Tool activities and their undo, each idempotent on the key the workflow derives."""
