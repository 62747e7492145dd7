"""The stack `bench.faults` breaks: the local stack's processes (as `make run` starts them), with
extra worker replicas, and the faults it injects into them.

Every fault is a real one: SIGKILL of a worker's process group, SIGKILL of the Temporal dev
server followed by a restart on its SQLite file, `pg_ctl stop` of PostgreSQL and a start on
the same folder. Each returns the wall-clock moments it began and ended, which the history
analysis (`bench.fault_checks`) measures recovery from.
"""

import asyncio
import sys
import time
from dataclasses import dataclass, field

from workers.local.dev_server import start_dev_server
from workers.local.processes import Child
from workers.local.scratch import ScratchStack

REPLICA_DOWN = 20.0
"""Seconds a killed replica stays down while the survivors carry on, before it is started again."""
RESTART_WAIT = 120.0
"""Seconds a replaced worker may take to poll again before the bench goes on regardless."""
READY_LINE = b"is running"
"""What a worker logs once it polls (`workers.running`)."""
WORKER_MODULES = {"agent-worker": "workers.agent", "notification-worker": "workers.notification"}


@dataclass
class Fault:
    """One injected fault: what, and when it began and ended (wall clock, seconds)."""

    name: str
    began: float
    ended: float
    """When the broken part was back: a replaced worker polling, the server's port open, the
    database started (with surviving replicas: the moment of the kill)."""
    replaced: bool
    """Whether a new process replaced the killed one (False: the replicas carried on alone)."""


@dataclass
class FaultStack:
    """A started scratch stack with `replicas` agent and notification workers."""

    live: ScratchStack
    replicas: int = 1
    faults: list[Fault] = field(default_factory=list)
    down_until: dict[str, float] = field(default_factory=dict)
    """Replicas killed on purpose, and when (wall clock) they may be started again."""

    def add_replicas(self) -> None:
        """Start the replicas beyond the first of each worker kind (same queues, same settings)."""
        stack = self.live.stack
        logs = stack.state / "logs"
        for kind, module in WORKER_MODULES.items():
            for n in range(2, self.replicas + 1):
                child = Child(f"{kind}-{n}", [sys.executable, "-m", module], logs / f"{kind}-{n}.log")
                child.env = stack.worker_env
                stack.children.append(child.start())

    def workers(self, kind: str) -> list[Child]:
        """The processes of one worker kind (`agent-worker`, `notification-worker`)."""
        return [c for c in self.live.stack.children if c.name == kind or c.name.startswith(f"{kind}-")]

    async def kill_worker(self, kind: str) -> Fault:
        """SIGKILL one worker of `kind`. Alone, it is replaced at once (as an orchestrator
        would); with replicas the survivors carry on and it comes back after `REPLICA_DOWN`."""
        victim = self.workers(kind)[0]
        began = time.time()
        await asyncio.to_thread(victim.kill)
        if self.replicas == 1:
            polling = _polling(victim)
            victim.start()
            await _until_polling(victim, polling)
            fault = Fault(f"SIGKILL {kind}", began, time.time(), replaced=True)
        else:
            fault = Fault(f"SIGKILL {kind} (1 of {self.replicas})", began, time.time(), replaced=False)
            self.down_until[victim.name] = began + REPLICA_DOWN
        self.faults.append(fault)
        return fault

    async def kill_server(self) -> Fault:
        """SIGKILL the Temporal dev server and start it again on its SQLite file."""
        stack = self.live.stack
        server = stack.child("temporal")
        began = time.time()
        await asyncio.to_thread(server.kill)
        await asyncio.to_thread(start_dev_server, server, stack.temporal_port)
        fault = Fault("SIGKILL Temporal server, restart on its db file", began, time.time(), replaced=True)
        self.faults.append(fault)
        return fault

    async def stop_postgres(self, seconds: float) -> Fault:
        """Stop PostgreSQL for `seconds`, then start it again on the same folder."""
        postgres = self.live.stack.postgres
        assert postgres is not None
        began = time.time()
        await asyncio.to_thread(postgres.pause)
        await asyncio.sleep(seconds)
        await asyncio.to_thread(postgres.resume)
        fault = Fault(f"PostgreSQL stopped {seconds:g} s", began, time.time(), replaced=True)
        self.faults.append(fault)
        return fault

    def revive(self) -> list[str]:
        """Restart worker processes that exited on their own, and replicas killed on purpose once
        their time down is over; return the names of the first."""
        unplanned: list[str] = []
        for child in (c for name in WORKER_MODULES for c in self.workers(name) if not c.running):
            back_at = self.down_until.get(child.name)
            if back_at is not None and time.time() < back_at:
                continue
            if self.down_until.pop(child.name, None) is None:
                unplanned.append(child.name)
            child.start()
        return unplanned


def _polling(worker: Child) -> int:
    """How many times the worker's log says it started polling."""
    return worker.log_file.read_bytes().count(READY_LINE) if worker.log_file.exists() else 0


async def _until_polling(worker: Child, before: int) -> None:
    """Wait until the worker logs that it polls again (at most `RESTART_WAIT`)."""
    for _ in range(int(RESTART_WAIT / 0.2)):
        if _polling(worker) > before:
            return
        await asyncio.sleep(0.2)
