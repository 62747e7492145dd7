"""The codec server app: Temporal's remote codec protocol over HTTP, for the Web UI and CLI.

`POST .../encode` and `POST .../decode` take and return a `Payloads` message as protobuf JSON
(only the last path segment names the operation, as the protocol asks). A caller proves it
may decrypt with the bearer token, either as `Authorization: Bearer TOKEN` (the `temporal`
CLI's `--codec-auth`) or as the first path segment, `/TOKEN/decode` (the dev server's Web UI
sends no header of its own, so its codec endpoint is `http://HOST:PORT/TOKEN`). CORS answers
only the Web UI's origins. A payload that cannot be decrypted fails the whole request with the
codec's message (key id and remedy); payload contents are never logged.
"""

import secrets
from collections.abc import Sequence

from google.protobuf import json_format
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.api.common.v1 import Payloads
from temporalio.converter import PayloadCodec

from hitl.errors import CodecError

MAX_BODY_BYTES = 8 * 1024 * 1024
"""Large enough for a long history page of payloads; a bigger body is refused, not buffered."""
HEADERS = ["Authorization", "Content-Type", "X-Namespace"]
"""What the Web UI and the CLI send: `X-Namespace` names the namespace of the payloads."""


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


HEALTH_PATHS = ("/livez", "/readyz")
"""Probe paths (GET, no token), the same the workers answer (`workers.health`)."""


def codec_app(codec: PayloadCodec, token: str, origins: Sequence[str]) -> Starlette:
    """The ASGI app serving `codec` to holders of `token`, with CORS for `origins`."""
    if len(token) < 16:
        raise ValueError("the codec server token must have at least 16 characters")

    async def convert(request: Request) -> Response:
        try:
            operation = _operation(request.path_params["path"], request.headers, token)
            payloads = json_format.Parse(await _body(request), Payloads())
            if operation == "encode":
                converted = await codec.encode(payloads.payloads)
            else:
                converted = await codec.decode(payloads.payloads)
        except _Refused as err:
            return _error(err.status, str(err))
        except json_format.ParseError as err:
            return _error(400, f"the body is not a Payloads message in protobuf JSON: {err}")
        except CodecError as err:
            return _error(400, str(err))
        body = json_format.MessageToJson(Payloads(payloads=converted), indent=None)
        return Response(body, media_type="application/json")

    cors = Middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_methods=["POST"],
        allow_headers=HEADERS,
        allow_private_network=True,
    )

    async def healthy(request: Request) -> Response:
        # For an orchestrator's probes: no token, no payloads, nothing but "up".
        return Response("ok\n", media_type="text/plain")

    routes = [Route(path, healthy, methods=["GET"]) for path in HEALTH_PATHS]
    return Starlette(routes=[*routes, Route("/{path:path}", convert, methods=["POST"])], middleware=[cors])


def _operation(path: str, headers: Headers, token: str) -> str:
    segments = [s for s in path.split("/") if s]
    operation = segments[-1] if segments else ""
    if operation not in ("encode", "decode"):
        raise _Refused(404, "POST to .../encode or .../decode")
    auth = headers.get("authorization", "")
    by_header = secrets.compare_digest(auth.encode(), f"Bearer {token}".encode())
    by_path = len(segments) == 2 and secrets.compare_digest(segments[0].encode(), token.encode())
    if not (by_header or by_path):
        raise _Refused(401, "missing or wrong codec server token (Authorization: Bearer TOKEN)")
    return operation


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _Refused(413, f"body larger than {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _Refused(413, f"body larger than {MAX_BODY_BYTES} bytes")
    return bytes(body)


def _error(status: int, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)
