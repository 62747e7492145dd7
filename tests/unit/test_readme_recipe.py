"""The README and the docs hold working code: files as they are, snippets that type-check, marks.

Blocks whose info string carries `title=PATH` are files: each must equal the file at PATH. Those
in Python, and the Python snippets marked `check=mypy` or `run=demo`, pass the project's strict
mypy as read from the documents (files through `--shadow-file`), so the docs cannot drift from
the code. Every Python and shell block carries one mark (`tests.doc_blocks`), and every `hitl`
command line in a shell block parses with the real argument parser. The layer list must be the
import-linter contract's.
"""

import contextlib
import io
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hitl.cli import build_parser
from tests.doc_blocks import CODE, MARKS, ROOT, Block, all_blocks, commands, titled_blocks

RECIPE = ["activities/tools/accounts.py", "workflows/account_deletion.py", "policies/account_deletion.toml"]


@pytest.mark.parametrize("path", RECIPE)
def test_the_recipe_in_the_readme_is_the_file(path: str) -> None:
    assert titled_blocks()[path] == (ROOT / path).read_text()


def test_the_python_in_the_docs_type_checks(tmp_path: Path) -> None:
    shadows: list[str] = []
    for path in RECIPE:
        if path.endswith(".py"):
            copy = tmp_path / path.replace("/", "_")
            copy.write_text(titled_blocks()[path])
            shadows += ["--shadow-file", path, str(copy)]
    checked = [p for p in RECIPE if p.endswith(".py")]
    snippets = [
        b
        for b in all_blocks()
        if b.language == "python" and "title" not in b.marks and "illustrative" not in b.marks
    ]
    for n, block in enumerate(snippets):
        module = tmp_path / f"snippet_{n}.py"
        module.write_text(f"# {block.name}\n{block.body}")
        checked.append(str(module))
    done = subprocess.run(
        [sys.executable, "-m", "mypy", *shadows, *checked],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_code_block_says_how_it_is_checked() -> None:
    def mark(block: Block) -> str:
        found = [f"{k}={v}" if v else k for k, v in block.marks.items() if k in MARKS]
        return found[0] if len(found) == 1 else f"{len(found)} marks"

    allowed = {"run=demo", "check=mypy", "illustrative"}
    code = [b for b in all_blocks() if b.language in CODE]
    unmarked = {b.name: mark(b) for b in code if not (mark(b) in allowed or mark(b).startswith("title="))}
    assert unmarked == {}


def test_every_hitl_command_in_the_docs_parses() -> None:
    refused = {}
    for block in all_blocks():
        if block.language not in ("sh", "bash"):
            continue
        for words in commands(block.body):
            if words[0] != "hitl":
                continue
            errors = io.StringIO()
            with contextlib.redirect_stderr(errors), contextlib.suppress(SystemExit):
                build_parser().parse_args(words[1:])
            if errors.getvalue():
                refused[f"{block.name}: {' '.join(words)}"] = errors.getvalue().splitlines()[-1]
    assert refused == {}


def test_the_readme_layers_are_the_import_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    assert titled_blocks()["layers"].splitlines() == layers
