"""Notice that the `make` running the local stack was told to stop.

GNU make forwards SIGTERM to the job it runs but not SIGINT (it expects a terminal's Ctrl-C to
reach the whole process group), and waits for the job either way: `kill -INT <make's pid>` alone
would wait forever. What make does on a fatal signal is visible, though: its handler first resets
that signal to the default action, then waits for its jobs. So the stack, when `make` started it,
watches which of SIGINT, SIGTERM and SIGHUP make catches (`SigCgt` in `/proc/PID/status`) and
stops when make stops catching one of them, or when make is gone. Linux only; elsewhere (no
`/proc`) nothing is watched and a terminal's Ctrl-C still stops everything.
"""

import os
import signal
from pathlib import Path

WATCHED = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
"""The signals that stop make (SIGQUIT dumps core: not a way to stop the stack)."""

MAKE_NAMES = frozenset({"make", "gmake"})

PROC = Path("/proc")


class MakeParent:
    """The `make` this process runs under, and the watched signals it caught when we started."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.caught = _caught(pid) or frozenset()

    @classmethod
    def find(cls) -> "MakeParent | None":
        """The nearest `make` among this process's ancestors, or None (not under make, or no /proc)."""
        if "MAKELEVEL" not in os.environ:  # make exports it to every job it runs
            return None
        pid = os.getppid()
        while pid > 1:
            try:
                name = (PROC / str(pid) / "comm").read_text().strip()
                parent = int((PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                return None
            if name in MAKE_NAMES:
                return cls(pid)
            pid = parent
        return None

    def stopping(self) -> bool:
        """True once make stopped catching a watched signal it caught at first, or is gone."""
        now = _caught(self.pid)
        return now is None or bool(self.caught - now)


def _caught(pid: int) -> frozenset[signal.Signals] | None:
    """The watched signals `pid` has a handler for; None when the process is gone."""
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    mask = next((int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:")), 0)
    return frozenset(s for s in WATCHED if mask & (1 << (s - 1)))
