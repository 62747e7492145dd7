"""Configuration tools on the `ops` tables: read, apply (idempotent), revert exactly.

A revert restores the previous value only if nobody changed the key since this change; otherwise
it refuses permanently rather than clobber a newer change.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from hitl.contracts import ToolCall, ToolResult, UndoCall
from hitl.errors import TOOL_INVALID_ARGS
from hitl.tools.config import ApplyConfigArgs, ReadConfigArgs


class ConfigTools:
    """Configuration tools with an injected pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="read_config")
    async def read_config(self, call: ToolCall[ReadConfigArgs]) -> ToolResult:
        """Read a value (absent keys read as null, version 0)."""
        row = await self._pool.fetchrow(
            "SELECT value, version FROM ops.config_values WHERE service = $1 AND key = $2",
            call.args.service,
            call.args.key,
        )
        value = row["value"] if row else None
        version = row["version"] if row else 0
        return ToolResult(
            output={"service": call.args.service, "key": call.args.key, "value": value, "version": version},
            summary=f"{call.args.service}.{call.args.key} = {json.dumps(value)} (version {version})",
        )

    @activity.defn(name="apply_config_change")
    async def apply_config_change(self, call: ToolCall[ApplyConfigArgs]) -> ToolResult:
        """Set the value once per key; a retry returns the change made the first time."""
        args = call.args
        async with self._pool.acquire() as conn, conn.transaction():
            done = await conn.fetchrow(
                "SELECT * FROM ops.config_changes WHERE idempotency_key = $1", call.key
            )
            if done is not None:
                return _change_result(done, replayed=True)
            current = await conn.fetchrow(
                "SELECT value, version FROM ops.config_values WHERE service = $1 AND key = $2 FOR UPDATE",
                args.service,
                args.key,
            )
            previous_version = current["version"] if current else 0
            new_version = previous_version + 1
            await conn.execute(
                "INSERT INTO ops.config_values (service, key, value, version) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (service, key) DO UPDATE SET value = EXCLUDED.value,"
                " version = EXCLUDED.version, updated_at = now()",
                args.service,
                args.key,
                args.value,
                new_version,
            )
            row = await conn.fetchrow(
                "INSERT INTO ops.config_changes (idempotency_key, service, key, previous_value,"
                " previous_version, new_value, new_version) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                " RETURNING *",
                call.key,
                args.service,
                args.key,
                current["value"] if current else None,
                previous_version,
                args.value,
                new_version,
            )
        return _change_result(row, replayed=False)

    @activity.defn(name="revert_config_change")
    async def revert_config_change(self, call: UndoCall[ApplyConfigArgs]) -> ToolResult:
        """Restore the value this change replaced (no effect if already reverted)."""
        async with self._pool.acquire() as conn, conn.transaction():
            change = await conn.fetchrow(
                "SELECT * FROM ops.config_changes WHERE idempotency_key = $1 FOR UPDATE", call.key
            )
            if change is None or change["reverted_at"] is not None:
                return ToolResult(output={"reverted": True}, summary="nothing to revert", replayed=True)
            current = await conn.fetchval(
                "SELECT version FROM ops.config_values WHERE service = $1 AND key = $2 FOR UPDATE",
                change["service"],
                change["key"],
            )
            if current != change["new_version"]:
                raise ApplicationError(
                    f"{change['service']}.{change['key']} changed again (version {current}) since "
                    f"version {change['new_version']}: not reverting over a newer change",
                    type=TOOL_INVALID_ARGS,
                    non_retryable=True,
                )
            await _restore(conn, change)
            await conn.execute(
                "UPDATE ops.config_changes SET reverted_at = now() WHERE idempotency_key = $1", call.key
            )
        return ToolResult(
            output={"reverted": True, "value": change["previous_value"]},
            summary=f"{change['service']}.{change['key']} restored to {json.dumps(change['previous_value'])}",
        )

    def activities(self) -> list[Callable[..., Awaitable[ToolResult]]]:
        """Every activity of this class, for the worker."""
        return [self.read_config, self.apply_config_change, self.revert_config_change]


async def _restore(conn: asyncpg.Connection, change: asyncpg.Record) -> None:
    if change["previous_version"] == 0:
        await conn.execute(
            "DELETE FROM ops.config_values WHERE service = $1 AND key = $2", change["service"], change["key"]
        )
        return
    await conn.execute(
        "UPDATE ops.config_values SET value = $3, version = version + 1, updated_at = now()"
        " WHERE service = $1 AND key = $2",
        change["service"],
        change["key"],
        change["previous_value"],
    )


def _change_result(row: asyncpg.Record, *, replayed: bool) -> ToolResult:
    output: dict[str, Any] = {
        "service": row["service"],
        "key": row["key"],
        "previous": row["previous_value"],
        "value": row["new_value"],
        "version": row["new_version"],
    }
    return ToolResult(
        output=output,
        summary=f"{row['service']}.{row['key']}: {json.dumps(row['previous_value'])} -> {json.dumps(row['new_value'])}",
        replayed=replayed,
    )
