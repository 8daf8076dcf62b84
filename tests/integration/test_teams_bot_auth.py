"""Bot Framework token validation against a local OpenID configuration and JWKS.

botbuilder fetches the metadata with blocking `requests`, so the fake identity provider runs
in its own thread. Tokens are signed the way the Bot Connector signs them (RS256, issuer
api.botframework.com, audience = our app id, a `serviceurl` claim, endorsed keys).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from app.teams import mount_teams_bot
from bot.endpoint import BotAuth
from tests.teams_connector import TENANT, invoke

APP_ID = "7d1b3c55-0000-4000-8000-00000000b07a"
ISSUER = "https://api.botframework.com"
SERVICE_URL = "http://127.0.0.1:9/_connector"


class IdentityProvider:
    """Serves /.well-known/openid-configuration and /keys on 127.0.0.1 from a thread."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": "bf-key-1", "use": "sig", "endorsements": ["msteams"]})
        self.jwks = {"keys": [jwk]}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                base = f"http://127.0.0.1:{self.server.server_address[1]}"
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": ISSUER, "jwks_uri": base + "/keys"}
                elif self.path == "/keys":
                    body = provider.jwks
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = (
            f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/openid-configuration"
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def token(self, key: Any = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": APP_ID,
            "serviceurl": SERVICE_URL,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + 3600,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": "bf-key-1"})


@pytest.fixture
def idp() -> Iterator[IdentityProvider]:
    provider = IdentityProvider()
    provider.thread.start()
    yield provider
    provider.server.shutdown()
    provider.server.server_close()


@pytest.fixture
async def secured_bot(
    aiohttp_client: Any, settings: Any, services: Any, idp: IdentityProvider
) -> Any:
    await services.people.create_organisation("contoso", "Contoso", [TENANT])
    app = web.Application()
    mount_teams_bot(
        app,
        settings,
        services,
        BotAuth(
            app_id=APP_ID,
            app_password="not-used-for-inbound",
            app_type="SingleTenant",
            tenant_id=TENANT,
            openid_metadata_url=idp.url,
        ),
    )
    return await aiohttp_client(app)


def search() -> dict[str, Any]:
    value = {
        "commandId": "searchColleagues",
        "parameters": [{"name": "initialRun", "value": "true"}],
    }
    return invoke("composeExtension/query", value, SERVICE_URL)


async def test_a_token_signed_by_the_bot_framework_is_accepted(
    secured_bot: Any, idp: IdentityProvider
) -> None:
    resp = await secured_bot.post(
        "/api/messages", json=search(), headers={"Authorization": f"Bearer {idp.token()}"}
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["composeExtension"]["type"] == "message"


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "forged",
        "expired",
        "wrong_audience",
        "wrong_issuer",
        "other_service_url",
        "garbage",
    ],
)
async def test_bad_tokens_are_refused_with_401(
    secured_bot: Any, idp: IdentityProvider, case: str
) -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    tokens = {
        "missing": None,
        "forged": idp.token(key=other_key),
        "expired": idp.token(exp=now - 3600, iat=now - 7200, nbf=now - 7200),
        "wrong_audience": idp.token(aud="someone-elses-bot"),
        "wrong_issuer": idp.token(iss="https://evil.example"),
        "other_service_url": idp.token(serviceurl="https://smba.example/other"),
        "garbage": "not.a.jwt",
    }
    token = tokens[case]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = await secured_bot.post("/api/messages", json=search(), headers=headers)
    assert resp.status == 401, case
    assert (await resp.json())["error"]["code"] == "unauthorized"


def test_an_incomplete_single_tenant_registration_is_refused_at_start() -> None:
    assert BotAuth(app_id=APP_ID).problems() == [
        "MICROSOFT_APP_PASSWORD",
        "MICROSOFT_APP_TENANT_ID",
    ]
    assert BotAuth().problems() == []
    assert not BotAuth().enabled
