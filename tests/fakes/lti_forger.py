"""A forging platform: its own RSA key and JWKS on 127.0.0.1, signing whatever a test wants."""

from __future__ import annotations

import time
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from jwcrypto.jwk import JWK

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


class SigningKey:
    def __init__(self) -> None:
        self.jwk = JWK.generate(kty="RSA", size=2048)
        self.kid = self.jwk.thumbprint()
        self.pem = self.jwk.export_to_pem(private_key=True, password=None)
        # loading a PEM key validates it (slow): sign with the loaded key object
        self.private = serialization.load_pem_private_key(self.pem, password=None)

    def public(self) -> dict[str, Any]:
        data: dict[str, Any] = self.jwk.export_public(as_dict=True)
        data.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return data


class Forger:
    """Serves `/jwks` (counting fetches) and signs id_tokens with its own key."""

    def __init__(self) -> None:
        self.key = SigningKey()
        self.published: list[SigningKey] = [self.key]
        self.jwks_fetches = 0
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()

        async def jwks(_: web.Request) -> web.Response:
            self.jwks_fetches += 1
            return web.json_response({"keys": [k.public() for k in self.published]})

        app.router.add_get("/jwks", jwks)
        return app

    def sign(
        self,
        claims: dict[str, Any],
        key: SigningKey | None = None,
        headers: dict[str, Any] | None = None,
    ) -> str:
        key = key or self.key
        hdr = {"kid": key.kid, **(headers or {})}
        return jwt.encode(claims, key.private, algorithm="RS256", headers=hdr)  # type: ignore[arg-type]

    def claims(
        self,
        *,
        issuer: str,
        client_id: str,
        nonce: str,
        target: str,
        deployment_id: str = "dep-1",
        sub: str = "learner-1",
        roles: list[str] | None = None,
    ) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": issuer,
            "aud": client_id,
            "sub": sub,
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "name": "Ada Lovelace",
            "email": "ada@acme.example",
            LTI + "deployment_id": deployment_id,
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "roles": roles if roles is not None else [LEARNER],
            LTI + "resource_link": {"id": "rl-1", "title": "Ask an expert"},
            LTI + "target_link_uri": target,
            LTI + "context": {"id": "course-1", "title": "Data Literacy 101"},
        }
