"""Open edX's LTI 1.3 consumer (PyPI `lti-consumer-xblock`) standalone on 127.0.0.1: Django is
configured with an in-memory cache only; the consumer does login initiation, launch (checking
nonce, state and redirect_uri), its JWKS, the OAuth2 token endpoint and deep linking responses.
Its calls are synchronous: the handlers run them in a thread."""

from __future__ import annotations

import asyncio
import warnings
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.lti_forger import SigningKey


def ensure_django() -> None:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
            INSTALLED_APPS=[],
            USE_TZ=True,
            SECRET_KEY="open-edx-consumer-in-tests",
            PLATFORM_NAME="Northwind Academy",
            LMS_ROOT_URL="http://127.0.0.1",
        )
        django.setup()
    # Open edX's packages warn at import time (WebOb imports `cgi`; openedx-filters announces the
    # end of Python 3.11 support): import them once, quietly
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import lti_consumer.data
        import lti_consumer.lti_1p3.consumer  # noqa: F401


@dataclass
class EdxUser:
    user_id: str
    role: str
    name: str
    email: str


COURSE = "course-v1:Northwind+DL101+2026"
BLOCK = "block-v1:Northwind+DL101+2026+type@lti_consumer+block@peerlearn"


class EdxPlatform:
    def __init__(self, client_id: str = "edx-client", deployment_id: str = "1") -> None:
        ensure_django()
        self.key = SigningKey()
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.url = ""
        self.tool_url = ""
        self.users = {
            "edx-ada": EdxUser("edx-ada", "student", "Ada Lovelace", "ada@acme.example"),
            "edx-grace": EdxUser("edx-grace", "instructor", "Grace Hopper", "grace@acme.example"),
        }
        self.deep_link_items: list[dict[str, Any]] = []

    def consumer(self, user: EdxUser) -> Any:
        from lti_consumer.lti_1p3.consumer import LtiAdvantageConsumer

        consumer = LtiAdvantageConsumer(
            iss=self.url,
            lti_oidc_url=self.tool_url + "/lti/login",
            lti_launch_url=self.tool_url + "/lti/launch",
            client_id=self.client_id,
            deployment_id=self.deployment_id,
            rsa_key=self.key.pem.decode(),
            rsa_key_id=self.key.kid,
            redirect_uris=[self.tool_url + "/lti/launch"],
            tool_keyset_url=self.tool_url + "/lti/jwks",
        )
        consumer.set_user_data(
            user.user_id, user.role, full_name=user.name, email_address=user.email
        )
        consumer.set_resource_link_claim(BLOCK)
        consumer.set_context_claim(COURSE, context_title="Data Literacy (Open edX)")
        consumer.enable_deep_linking(self.tool_url + "/lti/launch", self.url + "/deep-link-return")
        return consumer

    def login_url(self, user_id: str, deep_linking: bool = False) -> str:
        from lti_consumer.data import Lti1p3LaunchData

        user = self.users[user_id]
        data = Lti1p3LaunchData(
            user_id=user.user_id,
            user_role=user.role,
            config_id="peerlearn-config",
            resource_link_id=BLOCK,
            message_type="LtiDeepLinkingRequest" if deep_linking else "LtiResourceLinkRequest",
            context_id=COURSE,
            context_title="Data Literacy (Open edX)",
        )
        return str(self.consumer(user).prepare_preflight_url(data))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/authorize", self.authorize)
        app.router.add_get("/jwks", self.jwks)
        app.router.add_post("/deep-link-return", self.deep_link_return)
        return app

    async def authorize(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        user = self.users[params["login_hint"]]

        def launch() -> dict[str, Any]:
            answer = self.consumer(user).generate_launch_request(params)
            return {**answer, "launch_url": params["redirect_uri"]}

        try:
            return web.json_response(await asyncio.to_thread(launch))
        except Exception as exc:
            return web.json_response({"error": type(exc).__name__}, status=400)

    async def jwks(self, request: web.Request) -> web.Response:
        return web.json_response(self.consumer(self.users["edx-ada"]).get_public_keyset())

    async def deep_link_return(self, request: web.Request) -> web.Response:
        token = str((await request.post())["JWT"])
        consumer = self.consumer(self.users["edx-grace"])
        try:
            items = await asyncio.to_thread(consumer.check_and_decode_deep_linking_token, token)
        except Exception as exc:
            return web.json_response({"error": type(exc).__name__}, status=400)
        self.deep_link_items.extend(items)
        return web.json_response({"items": items})
