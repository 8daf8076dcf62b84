"""Building the Graph client: app-only credential, explicit base URL, our own httpx transport
(closed by us: the SDK leaks it), a bounded SDK retry budget, and raw JSON calls (Viva Learning,
channels) sent through the same request adapter so they share auth and middleware.

The outbox's hot path, `$batch`, goes out over a lean kept-alive aiohttp session with the same
app token (cached until shortly before it expires): the SDK's httpx transport and its chain of
nine kiota middlewares cost about 3 ms of CPU per request, the lean path about 0.4 ms, and the
worker sends hundreds of batches a second when a backlog drains. None of those middlewares do
anything a batch needs (SDK retries are off: the outbox retries)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx
from azure.core.credentials import AccessToken
from azure.core.credentials_async import AsyncTokenCredential
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware.options import RetryHandlerOption
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory

log = logging.getLogger(__name__)

SCOPES = ["https://graph.microsoft.com/.default"]
#: a cached token is renewed this long before it expires
TOKEN_MARGIN = 300.0
# kiota error mapping: the key "XXX" means "any error status", so every OData error body parses
ERRORS: dict[str, Any] = {"XXX": ODataError}


@dataclass(frozen=True)
class GraphConfig:
    tenant_id: str
    client_id: str
    client_secret: str = ""
    certificate_path: str = ""
    base_url: str = "https://graph.microsoft.com/v1.0"
    timeout: float = 30.0
    #: retries the SDK makes by itself on 429/503/504 (the outbox worker retries with backoff)
    sdk_max_retries: int = 0
    max_connections: int = 20


class GraphClient:
    """One Graph client per worker process; `await close()` releases its sockets."""

    def __init__(
        self,
        sdk: GraphServiceClient,
        adapter: GraphRequestAdapter,
        transport: Any,
        http: httpx.AsyncClient,
        credential: AsyncTokenCredential,
        config: GraphConfig | None = None,
    ) -> None:
        self.sdk = sdk
        self.adapter = adapter
        self._transport = transport
        self._http = http
        self._credential = credential
        self._config = config or GraphConfig("", "", base_url=adapter.base_url)
        self._session: aiohttp.ClientSession | None = None
        self._token: AccessToken | None = None
        self._token_lock = asyncio.Lock()

    async def post_json_bytes(self, path: str, body: bytes) -> tuple[int, dict[str, str], Any]:
        """POST an encoded JSON body (relative `path`) over the lean session: (status, headers,
        parsed body or None). Network failures raise aiohttp's errors or `TimeoutError`."""
        token = await self._bearer()
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "client-request-id": str(uuid.uuid4()),
        }
        session = self._lean_session()
        url = self.adapter.base_url.rstrip("/") + path
        async with session.post(url, data=body, headers=headers) as answer:
            raw = await answer.read()
            status, answer_headers = answer.status, dict(answer.headers)
        if status == 401:
            self._token = None
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return status, answer_headers, parsed

    def _lean_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._config.max_connections),
                timeout=aiohttp.ClientTimeout(total=self._config.timeout),
                headers={"User-Agent": "peerlearn-outbox"},
            )
        return self._session

    async def _bearer(self) -> str:
        token = self._token
        if token is None or token.expires_on - TOKEN_MARGIN < time.time():
            async with self._token_lock:
                token = self._token
                if token is None or token.expires_on - TOKEN_MARGIN < time.time():
                    token = self._token = await self._credential.get_token(*SCOPES)
        return token.token

    async def send_json(self, method: str, path: str, body: Any | None = None) -> Any:
        """Send our own JSON (relative `path`) through the SDK's adapter; returns the parsed
        body (None for empty answers); failures raise `ODataError` like SDK calls do."""
        info = RequestInformation(Method[method.upper()], "{+baseurl}" + path)
        info.path_parameters["baseurl"] = self.adapter.base_url
        info.headers.try_add("Accept", "application/json")
        if body is not None:
            info.headers.try_add("Content-Type", "application/json")
            info.content = json.dumps(body).encode()
        raw = await self.adapter.send_primitive_async(info, "bytes", ERRORS)
        if not raw:
            return None
        return json.loads(raw)

    async def warm_up(self) -> None:
        """Import the SDK's model graph in a thread: its first deserialisation imports ~1,100
        modules (seconds), which would otherwise freeze the event loop mid-delivery."""

        def load() -> None:
            from msgraph.generated.models.event import Event

            Event().get_field_deserializers()

        await asyncio.to_thread(load)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        await self._http.aclose()
        await self._transport.aclose()
        await self._credential.close()


def build_client(
    config: GraphConfig, credential: AsyncTokenCredential | None = None
) -> GraphClient:
    """Build an app-only Graph client; `credential` overrides the secret/certificate (tests)."""
    if credential is None:
        credential = _credential(config)
    base_url = config.base_url.rstrip("/")
    host = urlsplit(base_url).hostname or "graph.microsoft.com"
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(
            max_connections=config.max_connections, max_keepalive_connections=config.max_connections
        ),
    )
    http = httpx.AsyncClient(
        transport=transport, timeout=httpx.Timeout(config.timeout), base_url=base_url, http2=False
    )
    options: dict[str, Any] = {
        RetryHandlerOption.get_key(): RetryHandlerOption(
            delay=3.0,
            max_retries=max(0, config.sdk_max_retries),
            should_retry=config.sdk_max_retries > 0,
        )
    }
    middleware = KiotaClientFactory.get_default_middleware(options)
    http = GraphClientFactory.create_with_custom_middleware(middleware, client=http)
    auth = AzureIdentityAuthenticationProvider(credential, scopes=SCOPES, allowed_hosts=[host])
    adapter = GraphRequestAdapter(auth, client=http)
    # without this the SDK sends requests to `<base>/v1.0//users/...` or to the real Graph
    adapter.base_url = base_url
    sdk = GraphServiceClient(request_adapter=adapter)
    return GraphClient(sdk, adapter, transport, http, credential, config)


def _credential(config: GraphConfig) -> AsyncTokenCredential:
    from azure.identity.aio import CertificateCredential, ClientSecretCredential

    if config.certificate_path:
        return CertificateCredential(config.tenant_id, config.client_id, config.certificate_path)
    return ClientSecretCredential(config.tenant_id, config.client_id, config.client_secret)
