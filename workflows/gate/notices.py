"""Notices to reviewers, sent on the notification task queue without blocking the gate.

Each notice runs as its own activity in the background: a channel that is slow or down delays
nothing but itself, and the gate's SLA timers keep their time. Outcomes are audited.
All I/O happens in activities.
"""

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from hitl import activity_names
    from hitl.contracts import (
        AuditKind,
        GateResolution,
        Notice,
        NoticeKind,
        NotifyResult,
        ReviewRequest,
    )
    from hitl.names import NOTIFY_TASK_QUEUE, channel_queue
    from policies.model import Policy

from workflows import options
from workflows.audit_log import AuditLog
from workflows.gate.card import decide_command


class Notifier:
    """Sends notices for a gate and keeps track of the ones still in flight."""

    def __init__(self, task_id: str, audit: AuditLog) -> None:
        self._task_id = task_id
        self._audit = audit
        self._in_flight: list[asyncio.Task[None]] = []
        self.task_queue = NOTIFY_TASK_QUEUE
        self.per_channel = False
        """Send on the channel's own queue (set from the pinned task context)."""

    def new_request(self, request: ReviewRequest, policy: Policy) -> None:
        """Tell the assignees a request waits for them."""
        for group in request.assignees:
            self._send(request, NoticeKind.NEW_REQUEST, group, policy, "waits for your decision")

    def escalated(self, request: ReviewRequest, earlier: list[str], policy: Policy) -> None:
        """Tell the new tier it inherited a request, and remind earlier tiers if asked to."""
        for group in request.assignees:
            self._send(request, NoticeKind.ESCALATION, group, policy, "was escalated to you")
        for group in earlier:
            self._send(request, NoticeKind.REMINDER, group, policy, "is still undecided")

    def outcome(self, request: ReviewRequest, resolution: GateResolution, policy: Policy) -> None:
        """Tell the groups the request reached how it ended."""
        groups = [rung.group for rung in request.verdict.ladder[: request.tier + 1]] or request.assignees
        for group in dict.fromkeys(groups):
            self._send(
                request,
                NoticeKind.OUTCOME,
                group,
                policy,
                f"ended: {resolution.outcome.value} by {', '.join(resolution.decided_by)}",
            )

    @property
    def idle(self) -> bool:
        """No notice is in flight."""
        return all(task.done() for task in self._in_flight)

    async def drain(self) -> None:
        """Wait for every notice in flight (each is bounded by its schedule-to-close timeout)."""
        if self._in_flight:
            await asyncio.gather(*self._in_flight)

    def _send(
        self,
        request: ReviewRequest,
        kind: NoticeKind,
        group: str,
        policy: Policy,
        what: str,
    ) -> None:
        info = workflow.info()
        reviewer_group = policy.reviewers.get(group)
        notice = Notice(
            notice_key=f"{info.workflow_id}/{request.request_id}/{kind.value}/{request.tier}/{group}",
            kind=kind,
            task_id=self._task_id,
            request_id=request.request_id,
            groups=[group],
            title=f"[{self._task_id}] {request.action.summary or request.action.tool} {what}",
            summary=request.card,
            ui_url=request.ui_url,
            cli_command=""
            if kind is NoticeKind.OUTCOME
            else decide_command(info.workflow_id, request.request_id),
            channel=reviewer_group.channel if reviewer_group else "console",
        )
        self._in_flight.append(asyncio.create_task(self._deliver(notice)))

    async def _deliver(self, notice: Notice) -> None:
        try:
            result = await workflow.execute_activity(
                activity_names.NOTIFY,
                notice,
                result_type=NotifyResult,
                task_queue=channel_queue(self.task_queue, notice.channel)
                if self.per_channel
                else self.task_queue,
                start_to_close_timeout=options.NOTIFY_TIMEOUT,
                schedule_to_close_timeout=options.NOTIFY_SCHEDULE_TO_CLOSE,
                retry_policy=options.NOTIFY_RETRY,
                summary=f"notify {notice.groups[0]}: {notice.kind.value}",
            )
        except ActivityError as err:
            self._audit.record(
                AuditKind.NOTIFIED,
                "system",
                notice_key=notice.notice_key,
                kind=notice.kind.value,
                groups=notice.groups,
                delivered=False,
                error=str(err.cause or err),
            )
            return
        self._audit.record(
            AuditKind.NOTIFIED,
            "system",
            notice_key=notice.notice_key,
            kind=notice.kind.value,
            groups=notice.groups,
            delivered=True,
            channels=result.delivered,
        )
