"""`load_task_context`: read the policy file (and autonomy stages) a task will be pinned to."""

from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError

from hitl import activity_names
from hitl.contracts.context import LoadTaskContextInput, TaskContext
from hitl.errors import POLICY_INVALID, POLICY_NOT_FOUND, PolicyError
from hitl.settings import Settings
from policies.parse import snapshot


def read_policy(policy_dir: Path, name: str) -> tuple[str, Path]:
    """Return the text and path of policy `name`, refusing names that leave the folder."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ApplicationError(f"invalid policy name {name!r}", type=POLICY_NOT_FOUND, non_retryable=True)
    path = policy_dir / f"{name}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in policy_dir.glob("*.toml"))
        raise ApplicationError(
            f"no policy {name!r} in {policy_dir} (known: {known})",
            type=POLICY_NOT_FOUND,
            non_retryable=True,
        )
    return path.read_text(), path


class TaskContextActivities:
    """Loads what a task decides with, so that it lands in workflow history."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @activity.defn(name=activity_names.LOAD_TASK_CONTEXT)
    async def load_task_context(self, request: LoadTaskContextInput) -> TaskContext:
        """Parse and hash the policy; a broken policy never reaches the workflow."""
        text, path = read_policy(self._settings.policy_dir, request.policy)
        try:
            pinned = snapshot(text, str(path))
        except PolicyError as err:
            raise ApplicationError(str(err), type=POLICY_INVALID, non_retryable=True) from err
        return TaskContext(
            policy=pinned,
            ui_base_url=self._settings.ui_url,
            notify_task_queue=self._settings.notify_task_queue,
        )
