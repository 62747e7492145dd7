"""Connection pool and schema migrations for PostgreSQL (embedded or any DSN)."""

import json
import logging
from importlib import resources

import asyncpg

log = logging.getLogger(__name__)

MIGRATION_LOCK = 7_240_001
"""Advisory lock id: two workers starting at once migrate one after the other."""


async def _init_connection(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool whose connections read and write JSON columns as Python values."""
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=_init_connection)
    assert pool is not None
    return pool


def migration_files() -> list[tuple[str, str]]:
    """Return `(version, sql)` for every migration, in order."""
    folder = resources.files("store") / "migrations"
    files = sorted(
        (entry.name, entry.read_text()) for entry in folder.iterdir() if entry.name.endswith(".sql")
    )
    return [(name.removesuffix(".sql"), sql) for name, sql in files]


CREATE_VERSIONS = (
    "CREATE TABLE schema_migrations ("
    " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
)


async def applied_versions(conn: asyncpg.Connection) -> set[str]:
    """Migrations applied to the database (none when `schema_migrations` does not exist)."""
    if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
        return set()
    return {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}


async def pending_migrations(dsn: str) -> list[str]:
    """Versions not applied yet: a role that may not migrate can check the schema is current."""
    conn = await asyncpg.connect(dsn)
    try:
        done = await applied_versions(conn)
    finally:
        await conn.close()
    return [version for version, _ in migration_files() if version not in done]


async def migrate(dsn: str) -> list[str]:
    """Apply every migration not applied yet, each in its own transaction.

    `dsn` is the migrator's: the role that owns the schema (docs/security.md). A schema that is
    already current needs no privilege beyond reading `schema_migrations`.

    Returns:
        The versions applied by this call (empty when the schema was current).
    """
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        try:
            if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
                await conn.execute(CREATE_VERSIONS)
            done = await applied_versions(conn)
            applied = []
            for version, sql in migration_files():
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
                log.info("applied migration %s", version)
                applied.append(version)
            return applied
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    finally:
        await conn.close()
