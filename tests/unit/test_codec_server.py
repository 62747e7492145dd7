"""The codec server app: Temporal's remote codec protocol, its token, CORS and limits."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from hitl.codec import load_codec_keys
from hitl.codec.aesgcm import AesGcmCodec
from hitl.codec.keys import new_key
from hitl.codec.server import MAX_BODY_BYTES, codec_app
from hitl.codec.settings import ui_origins
from hitl.errors import ConfigError
from hitl.settings import CodecServerSettings

TOKEN = "t0ken-of-the-codec-server"
UI = "http://localhost:8233"
PLAIN = {"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "eyJhIjogMX0="}  # json/plain {"a": 1}
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def client_of(codec: AesGcmCodec, origins: list[str]) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=codec_app(codec, TOKEN, origins))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8234")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    codec = AesGcmCodec(load_codec_keys({"HITL_CODEC_KEYS": f"k1={new_key()}"}))
    async with client_of(codec, ui_origins(UI)) as client:
        yield client


async def post(
    http: httpx.AsyncClient, path: str, body: object, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    response = await http.post(
        path, content=json.dumps(body), headers={"Content-Type": "application/json", **(headers or {})}
    )
    return response.status_code, response.json()


async def test_encode_then_decode_round_trips_with_the_bearer_token(http: httpx.AsyncClient) -> None:
    status, encoded = await post(http, "/encode", {"payloads": [PLAIN]}, BEARER)
    assert status == 200
    [sealed] = encoded["payloads"]
    assert sealed["metadata"]["encoding"] == "YmluYXJ5L2VuY3J5cHRlZA=="  # binary/encrypted
    assert await post(http, "/decode", encoded, BEARER) == (200, {"payloads": [PLAIN]})


async def test_the_web_ui_path_carries_the_token_and_only_the_last_segment_names_the_operation(
    http: httpx.AsyncClient,
) -> None:
    status, encoded = await post(http, f"/{TOKEN}/encode", {"payloads": [PLAIN]})
    assert status == 200
    assert await post(http, f"/{TOKEN}/decode", encoded) == (200, {"payloads": [PLAIN]})


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/decode", {}),
        ("/decode", {"Authorization": "Bearer wrong"}),
        ("/decode", {"Authorization": TOKEN}),
        ("/wrong/decode", {}),
        (f"/x/{TOKEN}/decode", {}),
    ],
)
async def test_no_token_no_codec(http: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
    response = await http.post(path, content=json.dumps({"payloads": [PLAIN]}), headers=headers)
    assert (response.status_code, response.json(), response.headers["www-authenticate"]) == (
        401,
        {"error": "missing or wrong codec server token (Authorization: Bearer TOKEN)"},
        "Bearer",
    )


async def test_a_payload_under_a_key_the_server_lacks_is_a_clear_error(http: httpx.AsyncClient) -> None:
    other = AesGcmCodec(load_codec_keys({"HITL_CODEC_KEYS": f"k9={new_key()}"}))
    async with client_of(other, [UI]) as other_server:
        status, encoded = await post(other_server, "/encode", {"payloads": [PLAIN]}, BEARER)
    assert status == 200
    status, body = await post(http, "/decode", encoded, BEARER)
    assert status == 400
    assert body["error"].startswith(
        "payload is encrypted under codec key 'k9', which this process does not hold"
    )


async def test_malformed_requests_are_refused(http: httpx.AsyncClient) -> None:
    assert await post(http, "/other", {"payloads": []}, BEARER) == (
        404,
        {"error": "POST to .../encode or .../decode"},
    )
    bad = await http.post("/decode", content=b"not json", headers=BEARER)
    assert bad.status_code == 400
    assert bad.json()["error"].startswith("the body is not a Payloads message in protobuf JSON")
    huge = await http.post("/decode", content=b"x" * (MAX_BODY_BYTES + 1), headers=BEARER)
    assert (huge.status_code, huge.json()) == (413, {"error": f"body larger than {MAX_BODY_BYTES} bytes"})


async def test_cors_admits_the_web_ui_origins_only(http: httpx.AsyncClient) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    for origin in ("http://localhost:8233", "http://127.0.0.1:8233"):
        allowed = await http.options(f"/{TOKEN}/decode", headers={"Origin": origin, **preflight})
        assert (allowed.status_code, allowed.headers["access-control-allow-origin"]) == (200, origin)
    other = await http.options(f"/{TOKEN}/decode", headers={"Origin": "http://evil.example", **preflight})
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers


def test_settings_need_a_token_and_default_to_loopback() -> None:
    with pytest.raises(ConfigError):
        CodecServerSettings.from_env({"HITL_CODEC_SERVER_TOKEN": "short"})
    settings = CodecServerSettings.from_env(
        {"HITL_CODEC_SERVER_TOKEN": TOKEN, "HITL_UI_URL": "http://localhost:9000/"}
    )
    assert (settings.codec_server_host, settings.codec_server_port, ui_origins(settings.ui_url)) == (
        "127.0.0.1",
        8234,
        ["http://localhost:9000", "http://127.0.0.1:9000"],
    )
    assert TOKEN not in repr(settings)
