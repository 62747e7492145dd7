"""`hitl db migrate`: bring the PostgreSQL schema up to date, as the migrator (the role that owns
the schema; docs/security.md). The workers' role can only check that it is current."""

import argparse
import sys
from typing import Any

import asyncpg

from hitl.cli import exit_codes
from hitl.errors import ConfigError
from hitl.settings import CliSettings
from store.db import migrate


def register(commands: Any) -> None:
    """Add the `db` command group."""
    db = commands.add_parser("db", help="database schema")
    sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    run = sub.add_parser("migrate", help="apply pending migrations")
    run.add_argument(
        "--dsn",
        help="the migrator's PostgreSQL DSN: the role that owns the schema "
        "(default: HITL_MIGRATOR_DATABASE_URL, else HITL_DATABASE_URL)",
    )
    run.set_defaults(handler=migrate_command)


async def migrate_command(args: argparse.Namespace) -> int:
    """Apply migrations and say which ones ran."""
    try:
        settings = CliSettings.from_env()
        migrator = settings.migrator_database_url
        dsn = args.dsn or (migrator.get_secret_value() if migrator else None) or settings.require_database()
    except ConfigError as err:
        print(f"hitl db migrate: {err}", file=sys.stderr)
        return exit_codes.USAGE
    try:
        applied = await migrate(dsn)
    except (OSError, asyncpg.PostgresError) as err:
        print(f"hitl db migrate: cannot migrate: {err}", file=sys.stderr)
        return exit_codes.UNAVAILABLE
    print(f"applied: {', '.join(applied)}" if applied else "schema is up to date")
    return exit_codes.OK
