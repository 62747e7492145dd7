"""What a reviewer reads about a waiting request: the task's phase says it waits, and a card whose
amount is above the current tier's limit says which groups can approve it."""

from tests.workflow.conftest import Harness


async def test_a_task_waiting_for_a_reviewer_is_in_phase_waiting(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_request(handle, "approval-1")

    assert (await harness.status(handle)).phase == "waiting"
    await harness.decide(handle, outcome="approve", reviewer="alice")
    await handle.result()


async def test_a_card_above_the_tiers_limit_says_who_can_approve(harness: Harness) -> None:
    above = await harness.refund_task(1800, total=2000)  # support leads may approve up to 1,000
    request = await harness.wait_request(above, "approval-1")
    within = await harness.refund_task(250)
    fits = await harness.wait_request(within, "approval-1")

    assert request.assignees == ["support-leads"]
    assert "**Who can approve** the amount is above this tier's limit: managers, directors" in request.card
    assert "Who can approve" not in fits.card
