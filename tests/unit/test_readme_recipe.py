"""The README's recipe for a new gated workflow is the code in the repository, and type-checks.

Blocks whose info string carries `title=PATH` are files: each must equal the file at PATH, and
the Python ones pass the project's strict mypy when read from the README (`--shadow-file`), so
the README cannot drift from the code. The layer list must be the import-linter contract's.
"""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
BLOCK = re.compile(r"^```(\w+) title=(\S+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def titled_blocks() -> dict[str, str]:
    return {title: body for _, title, body in BLOCK.findall((ROOT / "README.md").read_text())}


RECIPE = ["activities/tools/accounts.py", "workflows/account_deletion.py", "policies/account_deletion.toml"]


@pytest.mark.parametrize("path", RECIPE)
def test_the_recipe_in_the_readme_is_the_file(path: str) -> None:
    assert titled_blocks()[path] == (ROOT / path).read_text()


def test_the_recipe_code_in_the_readme_type_checks(tmp_path: Path) -> None:
    shadows: list[str] = []
    for path in RECIPE:
        if path.endswith(".py"):
            copy = tmp_path / path.replace("/", "_")
            copy.write_text(titled_blocks()[path])
            shadows += ["--shadow-file", path, str(copy)]
    checked = [p for p in RECIPE if p.endswith(".py")]
    done = subprocess.run(
        [sys.executable, "-m", "mypy", *shadows, *checked],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_readme_layers_are_the_import_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    assert titled_blocks()["layers"].splitlines() == layers
