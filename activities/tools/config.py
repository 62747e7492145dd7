"""Configuration tools on the `ops` tables: read, apply (idempotent), revert exactly.

A revert restores the previous value only if nobody changed the key since this change; otherwise
it refuses permanently rather than clobber a newer change.
"""

import json
from typing import Any

import asyncpg
from pydantic import Field
from temporalio.exceptions import ApplicationError

from activities.tools.toolset import Toolbox, Toolset, tool, undo
from hitl.contracts import ToolCall, ToolResult, UndoCall
from hitl.contracts.base import Contract
from hitl.errors import TOOL_INVALID_ARGS

READ_CONFIG = "read_config"
APPLY_CONFIG_CHANGE = "apply_config_change"


class ReadConfigArgs(Contract):
    """Read one configuration value."""

    service: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    key: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")


class ApplyConfigArgs(ReadConfigArgs):
    """Set one configuration value in production."""

    value: Any
    """The new value (any JSON value)."""
    reason: str = ""


class ConfigTools(Toolset):
    """Configuration tools."""

    @tool(
        READ_CONFIG, ReadConfigArgs, "Read a configuration value.", binds={"service": "service", "key": "key"}
    )
    async def read_config(self, call: ToolCall[ReadConfigArgs]) -> ToolResult:
        """Read a value (absent keys read as null, version 0)."""
        row = await self.pool.fetchrow(
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

    @undo("revert_config_change")
    async def revert_config_change(self, call: UndoCall[ApplyConfigArgs]) -> ToolResult:
        """Restore the value this change replaced (no effect if already reverted)."""
        async with self.pool.acquire() as conn, conn.transaction():
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

    @tool(
        APPLY_CONFIG_CHANGE,
        ApplyConfigArgs,
        "Change a production configuration value; undone by restoring the previous value.",
        undo=revert_config_change,
        binds={"service": "service", "key": "key"},
        fixed={"service", "key"},
    )
    async def apply_config_change(self, call: ToolCall[ApplyConfigArgs]) -> ToolResult:
        """Set the value once per key; a retry returns the change made the first time."""
        args = call.args
        async with self.pool.acquire() as conn, conn.transaction():
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


CONFIG_TOOLBOX = Toolbox.of(ConfigTools)
"""The tools of a configuration change."""
