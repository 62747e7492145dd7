"""Runnable processes: the agent worker, the notification worker, the local stack launcher."""
