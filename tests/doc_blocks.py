"""The code blocks of the README and the docs, and the marks that say how a test checks each.

The words after a block's language are its marks:

| mark | what a test does with the block |
|---|---|
| `title=PATH` | it is the file PATH, character for character (`tests/unit/test_readme_recipe.py`); Python ones type-check |
| `run=demo` | run against a fresh `make run` demo from a second shell (`tests/integration/test_readme_demo.py`): shell with `bash -e -o pipefail`, Python saved to a file and run; it must exit 0 |
| `check=mypy` | a Python snippet, type-checked with the project's strict mypy |
| `illustrative` | shown, not run (production hosts, secrets, placeholders) |

Every Python and shell block carries exactly one of them (`tests/unit/test_readme_recipe.py`), and
every `hitl` command line in any shell block parses with the real `hitl` argument parser.
"""

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[1]

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "deploy" / "README.md"]
"""Every document whose code must work as written."""

CODE = ("python", "sh", "bash")
"""Languages whose blocks must carry a mark."""

MARKS = ("title", "run", "check", "illustrative")

FENCE = re.compile(r"^```(\S*)(.*)$")


@dataclass(frozen=True)
class Block:
    """One fenced code block."""

    path: Path
    """The document, relative to the repository."""
    line: int
    """Line of the opening fence (1-based)."""
    language: str
    marks: dict[str, str]
    """`key=value` words of the info string; a bare word maps to `""`."""
    body: str

    @property
    def name(self) -> str:
        """`path:line`, for test ids and messages."""
        return f"{self.path}:{self.line}"


def blocks(document: Path) -> list[Block]:
    """The fenced blocks of `document`, in order."""
    found: list[Block] = []
    opened: tuple[int, str, str] | None = None
    body: list[str] = []
    for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), start=1):
        fence = FENCE.match(line)
        if opened is None and fence:
            opened, body = (number, fence.group(1), fence.group(2)), []
        elif opened is not None and line == "```":
            start, language, info = opened
            marks = dict(word.partition("=")[::2] for word in info.split())
            found.append(
                Block(document.relative_to(ROOT), start, language, marks, "".join(f"{b}\n" for b in body))
            )
            opened = None
        elif opened is not None:
            body.append(line)
    return found


def all_blocks() -> list[Block]:
    """Every block of every document."""
    return [block for document in DOCUMENTS for block in blocks(document)]


def titled_blocks() -> dict[str, str]:
    """README blocks that are files (or named text): title -> body."""
    return {b.marks["title"]: b.body for b in blocks(ROOT / "README.md") if "title" in b.marks}


def commands(body: str) -> list[list[str]]:
    """The simple commands of a shell block as argument lists: continuation lines joined, comments
    and leading `NAME=value` assignments dropped, each command cut at the first redirection,
    pipe or list operator."""
    found = []
    for line in body.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words: list[str] = []
        for word in lexer:
            if word and set(word) <= set("|&;<>()"):
                break
            if words or not re.fullmatch(r"[A-Za-z_]\w*=.*", word):
                words.append(word)
        if words:
            found.append(words)
    return found
