"""The `hitl` command line.

Each command group lives in its own module with a `register(subparsers)` function that adds
its parsers and sets `handler` to an async function taking the parsed arguments and returning
an exit code (see `hitl.cli.exit_codes`). While `make run` runs, every command finds the local
stack through its `stack.env` (`hitl.settings.stack_file`); variables set in the environment win.
"""

import argparse
import importlib
import sys
from typing import NoReturn

from hitl.clean_exit import run_and_exit
from hitl.cli import exit_codes
from hitl.settings.stack_file import use_local_stack

COMMAND_MODULES = (
    "hitl.cli.task",
    "hitl.cli.db",
    "hitl.cli.policy",
    "hitl.cli.autonomy",
    "hitl.cli.audit",
    "hitl.cli.feedback",
    "hitl.cli.report",
    "hitl.cli.inbox",
    "hitl.cli.show",
    "hitl.cli.decide",
    "hitl.cli.keys",
)
"""Modules that add command groups, in the order `hitl --help` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every command group registered."""
    parser = argparse.ArgumentParser(
        prog="hitl", description="Human-in-the-loop control plane for AI agents on Temporal."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point of the `hitl` console script."""
    args = build_parser().parse_args(argv)
    if not hasattr(args, "handler"):
        print("hitl: choose a subcommand (see --help)", file=sys.stderr)
        run_and_exit(_code(exit_codes.USAGE))
    run_and_exit(_run(args))


async def _code(code: int) -> int:
    return code


async def _run(args: argparse.Namespace) -> int:
    use_local_stack()  # inside run_and_exit: a malformed file is one line and exit 2
    code: int = await args.handler(args)
    return code
