"""Notification channels and the `notify_reviewers` activity the notification worker runs."""
