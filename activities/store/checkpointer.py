"""Signing the evidence chain head at checkpoints: after every N rows a worker wrote, and every
T seconds while the head moved.

Each checkpoint is stored in `audit_checkpoints` and appended to the export file (outside the
database: the witness a database superuser cannot edit). Several workers checkpoint
independently; a checkpoint of a head some other worker already signed is harmless.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from hitl.settings.groups import AuditAnchorSettings
from store.checkpoints import (
    SignedCheckpoint,
    append_export,
    chain_head,
    open_export,
    sign_head,
    store_checkpoint,
)
from store.signing import SigningKey, load_signing_key

log = logging.getLogger(__name__)


class Checkpointer:
    """Signs and records checkpoints of the chain head through an injected pool."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        key: SigningKey,
        *,
        every: int = 100,
        seconds: float = 60.0,
        export: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = pool
        self._key = key
        self._every = every
        self.seconds = seconds
        self._export = export
        self._clock = clock
        self._lock = asyncio.Lock()
        self._unsigned = 0
        self._last_at = clock()
        self._last_pos = 0

    @classmethod
    def from_settings(cls, pool: asyncpg.Pool, settings: AuditAnchorSettings) -> "Checkpointer | None":
        """The checkpointer the settings ask for (None without `HITL_AUDIT_KEY_FILE`); creates the
        export file if it is missing.

        Raises:
            ConfigError: The key file cannot be read.
            OSError: The export file cannot be created.
        """
        if settings.audit_key_file is None:
            return None
        if settings.audit_checkpoint_file is not None:
            open_export(settings.audit_checkpoint_file)
        return cls(
            pool,
            load_signing_key(settings.audit_key_file),
            every=settings.audit_checkpoint_every,
            seconds=settings.audit_checkpoint_seconds,
            export=settings.audit_checkpoint_file,
        )

    async def wrote(self, rows: int) -> SignedCheckpoint | None:
        """Count rows just committed; checkpoint when N rows or T seconds have passed."""
        self._unsigned += rows
        due = self._unsigned >= self._every or self._clock() - self._last_at >= self.seconds
        if self._unsigned and due:
            return await self.checkpoint()
        return None

    async def checkpoint(self) -> SignedCheckpoint | None:
        """Sign the current head unless this process signed it already; export it, store it."""
        async with self._lock, self._pool.acquire() as conn:
            head = await chain_head(conn)
            if head is None or head.pos <= self._last_pos:
                self._unsigned = 0
                return None
            stored = await store_checkpoint(conn, sign_head(self._key, head, datetime.now(UTC)))
            if self._export is not None:
                await asyncio.to_thread(append_export, self._export, stored)
            self._unsigned = 0
            self._last_at = self._clock()
            self._last_pos = head.pos
            log.info("audit checkpoint %s at chain position %s", stored.id, head.pos)
            return stored

    async def run(self) -> None:
        """Checkpoint every T seconds while the head moves (until cancelled); errors are logged
        and the next round tries again."""
        while True:
            await asyncio.sleep(self.seconds)
            try:
                await self.checkpoint()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
                log.warning("audit checkpoint failed, retrying in %ss: %s", self.seconds, err)
