"""Shared by the `hitl` commands that read PostgreSQL: the `--dsn` option and one connection."""

import argparse
import contextlib
import sys
from collections.abc import AsyncIterator

import asyncpg

from hitl.cli import exit_codes
from hitl.errors import ConfigError
from hitl.settings import CliSettings
from store.db import _init_connection


class DatabaseUnavailable(Exception):
    """The DSN is missing or PostgreSQL cannot be reached; `code` is the exit code to use."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def add_dsn_option(parser: argparse.ArgumentParser) -> None:
    """Add `--dsn` (default: HITL_DATABASE_URL)."""
    parser.add_argument("--dsn", help="PostgreSQL DSN (default: HITL_DATABASE_URL)")


@contextlib.asynccontextmanager
async def connection(args: argparse.Namespace) -> AsyncIterator[asyncpg.Connection]:
    """One connection to the database `--dsn` or the settings name.

    Raises:
        DatabaseUnavailable: No DSN, or the server refuses or cannot be reached.
    """
    try:
        dsn = args.dsn or CliSettings.from_env().require_database()
    except ConfigError as err:
        raise DatabaseUnavailable(str(err), exit_codes.USAGE) from err
    try:
        conn = await asyncpg.connect(dsn)
        await _init_connection(conn)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
        raise DatabaseUnavailable(f"cannot reach PostgreSQL: {err}", exit_codes.UNAVAILABLE) from err
    try:
        yield conn
    finally:
        await conn.close()


def fail(command: str, err: DatabaseUnavailable) -> int:
    """Print why the database is unavailable; return the exit code."""
    print(f"{command}: {err}", file=sys.stderr)
    return err.code
