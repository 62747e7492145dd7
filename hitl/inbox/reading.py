"""Read what a reviewer may decide from Temporal: their queue, one request, a tool's arguments.

The queue is the visibility query of `hitl inbox` (the same filters) followed by each task's
`pending` query, narrowed to the requests the reviewer's groups may decide (`Directory`). One
request is read by its workflow id and request id, and is refused the same way when it is not
the reviewer's: a URL names a request, it does not grant it.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from pydantic import BaseModel
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowQueryFailedError
from temporalio.service import RPCError

from hitl.contracts import PendingResult
from hitl.contracts.inbox import InboxEntry, InboxFilter
from hitl.inbox.directory import Directory, Standing
from hitl.inbox.session import Forbidden
from hitl.names import PENDING_QUERY
from hitl.review.inbox import QueuedRequest, entry_of, read_requests
from hitl.review.queue import matches, order
from workflows.registry import WORKFLOWS

QUEUE_LIMIT = 500
"""Tasks read per queue page: the visibility query cannot narrow to higher-tier groups, so the
queue reads more tasks than it shows."""


@dataclass(frozen=True)
class Item:
    """One request in a reviewer's queue: where it is, its queue line and the reviewer's standing."""

    queued: QueuedRequest
    entry: InboxEntry
    standing: Standing

    @property
    def path(self) -> str:
        """The request's page in the inbox."""
        return (
            f"/r/{quote(self.queued.workflow_id, safe='')}/{quote(self.queued.request.request_id, safe='')}"
        )

    @property
    def digest(self) -> str:
        """The digest of the action as shown (the gate's, from `pending`): a decision is only sent
        for this version, and its proof is bound to it."""
        return self.queued.request.action_digest


async def read_queue(
    client: Client, directory: Directory, reviewer: str, filters: InboxFilter, now: datetime, by: str
) -> list[Item]:
    """The open requests `reviewer` may decide that pass `filters`, in review order.

    A `group` filter keeps the requests that group may decide now or at a higher rung.

    Raises:
        hitl.review.queue.QueryValueError: A filter value cannot be used in a query.
        temporalio.service.RPCError: Temporal cannot be reached.
    """
    wide = filters.model_copy(update={"group": None, "limit": QUEUE_LIMIT})
    items: dict[tuple[str, str], Item] = {}
    for queued in await read_requests(client, wide, now):
        standing = directory.standing(reviewer, queued.request)
        entry = entry_of(queued.workflow_id, queued.request, now)
        in_group = filters.group is None or filters.group in directory.eligible(queued.request)
        if standing.may_decide and in_group and matches(entry, wide):
            items[(entry.workflow_id, entry.request_id)] = Item(queued, entry, standing)
    ordered = order([item.entry for item in items.values()], by)
    return [items[(e.workflow_id, e.request_id)] for e in ordered][: filters.limit]


class NotFound(Exception):
    """No such open request (never was, or decided, or its task ended)."""


async def read_item(
    client: Client, directory: Directory, reviewer: str, workflow_id: str, request_id: str, now: datetime
) -> Item:
    """One open request, when `reviewer` may decide it.

    Raises:
        NotFound: There is no such open request.
        hitl.inbox.session.Forbidden: It is not the reviewer's to decide.
        temporalio.service.RPCError: Temporal cannot be reached.
    """
    handle = client.get_workflow_handle(workflow_id)
    try:
        description = await handle.describe()
    except RPCError as err:
        raise NotFound(f"no task {workflow_id!r}") from err
    if description.status is not WorkflowExecutionStatus.RUNNING:
        raise NotFound(f"task {workflow_id!r} has ended")
    try:
        pending: PendingResult = await handle.query(PENDING_QUERY, result_type=PendingResult)
    except WorkflowQueryFailedError as err:
        raise NotFound(f"task {workflow_id!r} does not answer: {err}") from err
    request = next((r for r in pending.requests if r.request_id == request_id), None)
    if request is None:
        raise NotFound(f"{workflow_id} has no open request {request_id!r}")
    standing = directory.standing(reviewer, request)
    if not standing.may_decide:
        raise Forbidden("this request is not in your queue: your groups may not decide it")
    queued = QueuedRequest(workflow_id, description.run_id, description.workflow_type, request)
    return Item(queued, entry_of(workflow_id, request, now), standing)


def args_model(workflow_type: str, tool: str) -> type[BaseModel] | None:
    """The argument model of `tool` in the toolbox of the workflow type `workflow_type`."""
    for workflow_class in WORKFLOWS:
        definition = getattr(workflow_class, "__temporal_workflow_definition", None)
        if definition is not None and definition.name == workflow_type:
            spec = workflow_class.toolbox.get(tool)
            return spec.args_model if spec is not None else None
    return None
