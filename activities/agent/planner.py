"""The interface every agent implements."""

from typing import Protocol

from hitl.contracts import AgentTurn, ProposeInput, ReviseInput


class Planner(Protocol):
    """Plans one task kind."""

    async def propose(self, request: ProposeInput) -> AgentTurn:
        """Return the next action given the task and its history, or `done`."""
        ...

    async def revise(self, request: ReviseInput) -> AgentTurn:
        """Return a revised action after a reviewer asked for changes."""
        ...
