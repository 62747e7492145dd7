"""`load_task_context`: read the policy file (and autonomy stages) a task will be pinned to."""

from pathlib import Path

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.autonomy import ledger
from activities.autonomy.track_record import calibrations, novel_action_types
from hitl import activity_names
from hitl.errors import POLICY_INVALID, POLICY_NOT_FOUND, PolicyError
from hitl.settings import AgentWorkerSettings
from policies.calibration import Calibration
from policies.context import LoadTaskContextInput, TaskContext
from policies.parse import snapshot
from store.anchors import Anchors


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
    try:
        return path.read_text(encoding="utf-8"), path
    except UnicodeDecodeError as err:
        # A broken file ends the task with the reason; retrying cannot fix it.
        raise ApplicationError(
            f"{path}: not UTF-8 text (byte {err.start}): TOML files are UTF-8",
            type=POLICY_INVALID,
            non_retryable=True,
        ) from err


class TaskContextActivities:
    """Loads what a task decides with, so that it lands in workflow history."""

    def __init__(self, settings: AgentWorkerSettings, pool: asyncpg.Pool) -> None:
        self._settings = settings
        self._pool = pool

    def _anchors(self) -> Anchors:
        """What a promotion's evidence is held to: the settings' keys and checkpoint file."""
        return Anchors.load(self._settings)

    @activity.defn(name=activity_names.LOAD_TASK_CONTEXT)
    async def load_task_context(self, request: LoadTaskContextInput) -> TaskContext:
        """Parse and hash the policy, recompute and read the autonomy stages of the task's action
        types, find which have no precedent, and read their confidence calibration; a broken
        policy never reaches the workflow.
        A database that is down fails the attempt and Temporal retries it."""
        text, path = read_policy(self._settings.policy_dir, request.policy)
        try:
            pinned = snapshot(text, str(path))
        except PolicyError as err:
            raise ApplicationError(str(err), type=POLICY_INVALID, non_retryable=True) from err
        policy = pinned.policy
        autonomy: dict[str, int] = {}
        novel: list[str] = []
        tables: dict[str, Calibration] = {}
        # Only tools the policy lists have stages, precedents or a calibration worth reading.
        action_types = [a for a in request.action_types if a in policy.tools]
        calibrating = policy.calibration.min_decisions > 0
        if action_types and (policy.autonomy.enabled or policy.triggers.novelty is not None or calibrating):
            async with self._pool.acquire() as conn:
                if calibrating:
                    tables = await calibrations(conn, request.task_kind, action_types)
                if policy.autonomy.enabled:
                    for action_type in action_types:
                        autonomy[action_type] = await ledger.refresh(
                            conn, request.task_kind, action_type, policy.autonomy, self._anchors
                        )
                if policy.triggers.novelty is not None:
                    scope = {
                        field: request.subject[field]
                        for field in policy.triggers.novelty_subject
                        if field in request.subject
                    }
                    novel = await novel_action_types(conn, request.task_kind, action_types, scope)
        return TaskContext(
            policy=pinned,
            autonomy=autonomy,
            novel_action_types=novel,
            calibration=tables,
            ui_base_url=self._settings.ui_url,
            notify_task_queue=self._settings.notify_task_queue,
            notify_per_channel=True,
        )
