"""Short activities that need no trip through the server run as local activities, with the server
as the fallback.

A local activity runs on the worker that runs the workflow, inside the same workflow task: no
activity task is scheduled, polled or completed, and its result lands in history as a marker
(docs/performance.md). That suits quick reads and writes to the database (loading the policy,
audit writes). If the local attempts all fail with a retryable error (the database is down), the
call is handed to the server as a regular activity, which retries it with the caller's policy
without holding the workflow task open or growing the history, and shows its attempts in
`temporal workflow describe`. A permanent error (`non_retryable`) is raised at once.

Each call site names a change in `workflows.patches`: runs that started before it keep the regular
activity their history holds. All I/O happens in activities.
"""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError, RetryState

from workflows import patches

LOCAL_ATTEMPTS = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=4)
"""Four local attempts (about 7 s with backoff), then the server takes over."""


async def run_local_first(
    activity: str,
    arg: Any,
    *,
    patch: str,
    result_type: type[Any],
    start_to_close_timeout: timedelta,
    retry_policy: RetryPolicy | None = None,
    summary: str,
) -> Any:
    """Run `activity` locally; when its local attempts fail, through the server.

    Raises:
        ActivityError: A permanent error (its `cause` is the activity's error), or the
            server-side activity failed for good.
    """
    call: dict[str, Any] = {
        "result_type": result_type,
        "start_to_close_timeout": start_to_close_timeout,
        "summary": summary,
    }
    if patches.on(patch):
        try:
            return await workflow.execute_local_activity(activity, arg, retry_policy=LOCAL_ATTEMPTS, **call)
        except ActivityError as err:
            if _permanent(err):
                raise
            _fall_back(activity, err)
        except FailureError as err:  # a local activity's last error can arrive unwrapped
            if _permanent(err):
                raise _unwrapped(err, activity) from err
            _fall_back(activity, err)
    return await workflow.execute_activity(activity, arg, retry_policy=retry_policy, **call)


def _permanent(err: BaseException | None) -> bool:
    while err is not None:
        if isinstance(err, ApplicationError) and err.non_retryable:
            return True
        err = err.__cause__
    return False


def _fall_back(activity: str, err: FailureError) -> None:
    workflow.logger.warning("%s failed locally (%s); retrying it through the server", activity, err)


def _unwrapped(err: FailureError, activity: str) -> ActivityError:
    """The error a regular activity would raise, around a local activity's unwrapped one."""
    return ActivityError(
        f"local activity {activity} failed: {err}",
        scheduled_event_id=0,
        started_event_id=0,
        identity="",
        activity_type=activity,
        activity_id="",
        retry_state=RetryState.NON_RETRYABLE_FAILURE,
    )
