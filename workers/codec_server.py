"""The codec server process: lets the Web UI and the `temporal` CLI read and send encrypted payloads.

Run with `python -m workers.codec_server` (the local stack does). Needs the payload keys
(`HITL_CODEC_KEYS` or `HITL_CODEC_KEY_FILE`) and `HITL_CODEC_SERVER_TOKEN`; listens on
127.0.0.1:8234 unless told otherwise (`hitl.codec.settings`). Anyone holding the token can
decrypt: keep it on loopback, or behind TLS and the Web UI's login in production.
"""

import logging

import uvicorn

from hitl.clean_exit import run_and_exit
from hitl.codec.aesgcm import AesGcmCodec
from hitl.codec.keys import load_codec_keys
from hitl.codec.server import codec_app
from hitl.codec.settings import ui_origins
from hitl.settings import CodecServerSettings
from workers.running import configure_logging

log = logging.getLogger("hitl.codec_server")


async def main() -> int:
    settings = CodecServerSettings.from_env()
    configure_logging(settings)
    keys = load_codec_keys(settings)
    origins = [o.strip() for o in (settings.codec_server_origins or "").split(",") if o.strip()]
    origins = origins or ui_origins(settings.ui_url)
    app = codec_app(AesGcmCodec(keys), settings.codec_server_token.get_secret_value(), tuple(origins))
    # No access log: the Web UI's requests carry the token in their path.
    config = uvicorn.Config(
        app,
        host=settings.codec_server_host,
        port=settings.codec_server_port,
        access_log=False,
        log_level="warning",
    )
    log.info(
        "codec server on http://%s:%d (keys %s, current %s; CORS for %s)",
        settings.codec_server_host,
        settings.codec_server_port,
        ", ".join(keys.ids),
        keys.current,
        ", ".join(origins),
    )
    await uvicorn.Server(config).serve()
    return 0


if __name__ == "__main__":
    run_and_exit(main())
