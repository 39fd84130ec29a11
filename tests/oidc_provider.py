"""A tiny OpenID provider for tests: discovery, JWKS, authorize and token endpoints.

It runs on a loopback port in a thread and signs RS256 id_tokens with joserfc (Authlib's JOSE
library), so the product's Authlib client is exercised over real HTTP.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

CLIENT_ID, CLIENT_SECRET = "huajie-test", "s3cret-for-tests"


@dataclass
class FakeProvider:
    issuer: str = ""
    username: str = "center"  # the claim the next login carries
    nonce_override: str | None = None  # sign a wrong nonce (replay) when set
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def app(self) -> Flask:
        app = Flask("fake_oidc")

        @app.get("/.well-known/openid-configuration")
        def discovery():  # type: ignore[no-untyped-def]
            return jsonify(
                issuer=self.issuer,
                authorization_endpoint=f"{self.issuer}/authorize",
                token_endpoint=f"{self.issuer}/token",
                jwks_uri=f"{self.issuer}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
            )

        @app.get("/jwks")
        def jwks():  # type: ignore[no-untyped-def]
            return jsonify(keys=[self.key.as_dict(private=False)])

        @app.get("/authorize")
        def authorize():  # type: ignore[no-untyped-def]
            args = request.args
            if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
                abort(400)
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"nonce": args.get("nonce"), "username": self.username}
            query = urlencode({"code": code, "state": args["state"]})
            return redirect(f"{args['redirect_uri']}?{query}")

        @app.post("/token")
        def token():  # type: ignore[no-untyped-def]
            grant = self.codes.pop(request.form.get("code", ""), None)
            client_ok = request.authorization is not None and (
                request.authorization.username,
                request.authorization.password,
            ) == (CLIENT_ID, CLIENT_SECRET)
            if grant is None or not client_ok:
                return jsonify(error="invalid_grant"), 400
            now = int(time.time())
            claims = {
                "iss": self.issuer, "sub": f"sub-{grant['username']}", "aud": CLIENT_ID,
                "iat": now, "exp": now + 300, "preferred_username": grant["username"],
                "nonce": self.nonce_override or grant["nonce"],
            }  # fmt: skip
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
            return jsonify(
                access_token="at-" + secrets.token_urlsafe(8), token_type="Bearer",
                expires_in=300, id_token=id_token,
            )  # fmt: skip

        return app


@contextmanager
def running_provider() -> Iterator[FakeProvider]:
    provider = FakeProvider()
    server = make_server("127.0.0.1", 0, provider.app(), threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(timeout=5)
