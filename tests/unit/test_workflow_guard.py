"""The static guard on workflow code (`workflows/ruff.toml`). The workers run workflow code without
the SDK's sandbox by default (`HITL_WORKFLOW_SANDBOX`), and the modules the sandbox passes through
were outside its import guards anyway: lint is what keeps clocks, randomness, the environment,
files, the network and threads out of workflow code.

Each ban is refused in `workflows/` and not elsewhere (so it is that file that guards); every
first-party module a workflow loads (from `workflows.registry`, and the bench's workflows) passes
that file's bans, and calls none of the builtins that reach outside (`open`, `input`, `exec`, ...).
"""

import ast
import functools
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).parent / "ruff"
GUARD = ROOT / "workflows" / "ruff.toml"
BANNED = sorted(tomllib.loads(GUARD.read_text())["lint"]["flake8-tidy-imports"]["banned-api"])
REQUIRED = {
    "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today", "datetime.date.today",
    "time", "random", "secrets", "uuid.uuid1", "uuid.uuid4",
    "os", "sys", "platform",
    "socket", "ssl", "select", "http", "urllib", "subprocess",
    "pathlib", "io", "shutil", "tempfile", "glob", "codecs", "gzip", "bz2", "lzma",
    "threading", "concurrent", "multiprocessing", "signal",
    "importlib", "builtins",
}  # fmt: skip
"""What the guard must ban: the clock, randomness, the environment, the network, files, threads
and imports by name. The file may ban more."""
GUARD_RULES = "TID251,T20,T100,PTH123"
OUTSIDE = {"open", "input", "exec", "eval", "compile", "__import__", "breakpoint"}
"""Builtins that read or write outside the workflow's inputs, or run text as code."""
BENCH_WORKFLOWS = ["bench/bare_workflow.py", "bench/floor_workflow.py"]


def ruff(*args: str, source: str | None = None) -> subprocess.CompletedProcess[str]:
    """`ruff check` with `args` in this repository, on `source` as standard input if given."""
    return subprocess.run(
        [str(RUFF), "check", "--no-cache", "--output-format", "concise", *args],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def probe(banned: str) -> str:
    """A module that imports the top package of `banned` and uses that name."""
    return f"import {banned.split('.')[0]}\n\n\ndef f() -> object:\n    return {banned}\n"


SPECIAL = {
    "print": ('def f() -> None:\n    print("x")\n', "T201"),
    "breakpoint": ("def f() -> None:\n    breakpoint()\n", "T100"),
    "open": ('def f() -> str:\n    with open("x") as handle:\n        return handle.read()\n', "PTH123"),
}


def test_the_guard_bans_at_least_the_required_names() -> None:
    assert sorted(REQUIRED - set(BANNED)) == []


@pytest.mark.parametrize(
    "source, rule",
    [(probe(b), "TID251") for b in BANNED] + list(SPECIAL.values()),
    ids=BANNED + list(SPECIAL),
)
def test_each_ban_is_refused_in_workflow_code_and_only_there(source: str, rule: str) -> None:
    inside = ruff("--stdin-filename", "workflows/probe.py", "-", source=source)
    assert rule in inside.stdout, inside.stdout + inside.stderr
    outside = ruff("--stdin-filename", "activities/probe.py", "-", source=source)
    assert outside.returncode in (0, 1) and not outside.stderr, outside.stderr
    assert rule not in outside.stdout


@functools.cache
def workflow_modules() -> list[str]:
    """The first-party files loaded by importing every workflow (in a fresh interpreter), and the
    bench's workflows."""
    listing = (
        "import json, sys, workflows.registry\n"
        f"root = {str(ROOT)!r} + '/'\n"
        "files = [getattr(m, '__file__', None) or '' for m in list(sys.modules.values())]\n"
        "print(json.dumps(sorted(f[len(root):] for f in files if f.startswith(root) and '/.venv/' not in f)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", listing], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return [*json.loads(done.stdout.splitlines()[-1]), *BENCH_WORKFLOWS]


def test_workflows_load_contracts_and_policy_code_the_guard_must_cover() -> None:
    modules = workflow_modules()
    for where in [
        "workflows/gated.py",
        "policies/evaluate.py",
        "policies/proof.py",
        "hitl/contracts/review.py",
    ]:
        assert where in modules


def test_every_module_workflow_code_loads_passes_the_workflow_guard() -> None:
    done = ruff("--config", str(GUARD), "--select", GUARD_RULES, *workflow_modules())
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_module_workflow_code_loads_calls_a_builtin_that_reaches_outside() -> None:
    calls = [
        f"{path}:{node.lineno} {node.func.id}()"
        for path in workflow_modules()
        for node in ast.walk(ast.parse((ROOT / path).read_text(), path))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in OUTSIDE
    ]
    assert calls == []
