"""The agent activities: `agent_propose` and `agent_revise`, dispatched by task kind."""

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.agent.planner import Planner
from hitl import activity_names
from hitl.contracts import AgentTurn, ProposeInput, ReviseInput


class AgentActivities:
    """Runs the planner registered for a task kind."""

    def __init__(self, planners: dict[str, Planner]) -> None:
        self._planners = planners

    def _planner(self, kind: str) -> Planner:
        planner = self._planners.get(kind)
        if planner is None:
            raise ApplicationError(
                f"no agent for task kind {kind!r} (known: {sorted(self._planners)})",
                type="UnknownTaskKind",
                non_retryable=True,
            )
        return planner

    @activity.defn(name=activity_names.PROPOSE)
    async def propose(self, request: ProposeInput) -> AgentTurn:
        """Ask the agent for the next action."""
        return await self._planner(request.kind).propose(request)

    @activity.defn(name=activity_names.REVISE)
    async def revise(self, request: ReviseInput) -> AgentTurn:
        """Ask the agent to revise an action after a reviewer's comment."""
        return await self._planner(request.kind).revise(request)
