"""What a workflow loads at start and pins in its history."""

from typing import Any

from pydantic import Field

from hitl.contracts.base import Contract
from policies.calibration import Calibration
from policies.model import PolicySnapshot


class LoadTaskContextInput(Contract):
    """Input of the `load_task_context` activity."""

    policy: str
    task_kind: str
    action_types: list[str] = Field(default_factory=list)
    """Tools whose autonomy stage the task needs."""
    subject: dict[str, Any] = Field(default_factory=dict)
    """The task's subject, for precedents scoped by `triggers.novelty_subject`."""


class TaskContext(Contract):
    """Everything a task decides with, loaded once and pinned in history.

    Editing a policy file, an autonomy stage or the feedback history affects tasks started
    afterwards; a running task keeps (and replays with) what it loaded here.
    """

    policy: PolicySnapshot
    autonomy: dict[str, int] = Field(default_factory=dict)
    """Autonomy stage (1..5) per action type for this task kind (empty: the policy's initial stage)."""
    novel_action_types: list[str] = Field(default_factory=list)
    """Action types with no human-approved precedent for this task kind (for the novelty trigger)."""
    calibration: dict[str, Calibration] = Field(default_factory=dict)
    """Per action type, the confidence calibration in force (empty when the policy trusts claimed
    confidence, `calibration.min_decisions = 0`)."""
    ui_base_url: str = "http://localhost:8233"
    """Temporal Web UI base URL for links in context cards and notices."""
    notify_task_queue: str = "hitl-notify"
    """Task queue of the notification worker."""
    notify_per_channel: bool = False
    """Send each notice on its channel's queue (`hitl.names.channel_queue`), rate limited by the
    server across worker replicas; False (tasks started before it existed): on `notify_task_queue`."""
