"""The third gated workflow, written by the README's recipe: an irreversible deletion that only a
director may approve, and that nobody answering never performs."""

from datetime import timedelta

from hitl.contracts import StepOutcome, StepStatus, TaskResult, TaskStatus
from tests.workflow.conftest import Handle, Harness


async def emails_left(h: Harness, handle: Handle) -> int:
    subject = (await h.status(handle)).steps[0].args
    count: int = await h.pool.fetchval(
        "SELECT count(*) FROM shop.orders WHERE customer_email = $1", subject["customer_email"]
    )
    return count


async def test_a_director_approves_and_the_account_is_erased(harness: Harness) -> None:
    handle = await harness.account_deletion(orders=2)
    request = await harness.wait_request(handle, "approval-1")
    assert (request.verdict.risk_tier.value, [r.group for r in request.verdict.ladder]) == (
        "irreversible",
        ["directors"],
    )
    assert await emails_left(harness, handle) == 2

    await harness.decide(handle, outcome="approve", reviewer="erin")
    result = await handle.result()

    assert (result.status, result.message) == (TaskStatus.COMPLETED, "deleted: 2 orders erased")
    assert [(s.tool, s.status, s.decided_by) for s in result.steps] == [
        ("find_account", StepStatus.EXECUTED, None),
        ("delete_account", StepStatus.EXECUTED, "erin"),
    ]
    assert await emails_left(harness, handle) == 0


async def test_nobody_answering_never_deletes(harness: Harness) -> None:
    handle = await harness.account_deletion(orders=1)
    await harness.wait_request(handle, "approval-1")
    await harness.skip(timedelta(hours=24, minutes=1))
    result = await handle.result()

    assert result.status is TaskStatus.REJECTED
    assert await emails_left(harness, handle) == 1


async def test_someone_outside_the_directors_cannot_approve(harness: Harness) -> None:
    handle = await harness.account_deletion(orders=1, requester="erin")
    await harness.wait_request(handle, "approval-1")
    await harness.decide(handle, outcome="approve", reviewer="erin")
    await harness.decide(handle, outcome="approve", reviewer="alice")

    view = await harness.status(handle)
    assert [r.code for r in view.refusals] == ["self_decision", "unknown_reviewer"]
    assert view.open_requests[0].request_id == "approval-1"
    assert await emails_left(harness, handle) == 1


async def test_no_account_means_nothing_to_approve(harness: Harness) -> None:
    handle = await harness.account_deletion(orders=0)
    result = await handle.result()

    assert result == TaskResult(
        task_id=handle.id,
        status=TaskStatus.COMPLETED,
        steps=[
            StepOutcome(
                step=0,
                tool="find_account",
                status=StepStatus.EXECUTED,
                mode="auto",
                args=result.steps[0].args,
                detail=f"{result.steps[0].args['customer_email']}: 0 orders",
            )
        ],
        message=f"no account for {result.steps[0].args['customer_email']}",
    )
