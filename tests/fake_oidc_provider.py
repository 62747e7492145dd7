"""A local stand-in for an OpenID Connect provider (loopback only), for the inbox's SSO login.

It serves discovery, `authorize` (which logs in the configured user at once and redirects back
with a code), `token` (an RS256 ID token carrying the nonce it was given) and the JWKS.
"""

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.local_server import LocalServer, QuietHandler


class FakeOidcProvider:
    """Logs in `claims` (e.g. `{"sub": "u1", "email": "alice@example.com"}`) for `client_id`."""

    def __init__(self, client_id: str, claims: dict[str, Any]) -> None:
        self.client_id = client_id
        self.claims = claims
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-1"})
        self._codes: dict[str, str] = {}
        outer = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self.send_json(outer.discovery())
                elif url.path == "/jwks":
                    self.send_json({"keys": [outer.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    code = secrets.token_urlsafe(8)
                    outer._codes[code] = query.get("nonce", "")
                    back = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
                    self.send_response(302)
                    self.send_header("Location", back)
                    self.end_headers()
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                nonce = outer._codes.pop(form["code"][0], None)
                if urlparse(self.path).path != "/token" or nonce is None:
                    self.send_json({"error": "invalid_grant"}, 400)
                    return
                self.send_json(
                    {"access_token": "at", "token_type": "Bearer", "id_token": outer.id_token(nonce)}
                )

        self._server = LocalServer(Handler)

    @property
    def issuer(self) -> str:
        return self._server.origin

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 300, "nonce": nonce}
        return jwt.encode({"alg": "RS256", "kid": "test-1"}, {**claims, **self.claims}, self.key)

    @contextmanager
    def running(self) -> Iterator["FakeOidcProvider"]:
        with self._server.serving():
            yield self
