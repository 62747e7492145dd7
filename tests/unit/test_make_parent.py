"""A job `make` runs notices when make alone gets SIGINT (which make does not forward) or SIGTERM."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from workers.local.make_parent import MakeParent

JOB = """
import signal, time
from workers.local.make_parent import MakeParent
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # make forwards SIGTERM: watch make, not that
make = MakeParent.find()
print(make is not None, flush=True)
while not make.stopping():
    time.sleep(0.05)
print("stopping", flush=True)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_job_of_make_sees_make_told_to_stop(tmp_path: Path, sig: signal.Signals) -> None:
    (tmp_path / "job.py").write_text(JOB)
    (tmp_path / "Makefile").write_text(f"run:\n\t@{sys.executable} job.py\n")
    make = subprocess.Popen(
        ["make", "-s", "run"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={"PYTHONPATH": str(Path(__file__).parents[2]), "PATH": "/usr/bin:/bin"},
    )
    assert make.stdout is not None
    try:
        assert make.stdout.readline() == "True\n"
        make.send_signal(sig)  # to make alone, not its process group
        assert make.stdout.readline() == "stopping\n"
        assert make.wait(30) == -sig
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()


def test_outside_make_nothing_is_watched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAKELEVEL", raising=False)
    assert MakeParent.find() is None
