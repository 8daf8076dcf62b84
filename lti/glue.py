"""pylti1p3 on aiohttp: request, cookies, redirect, OIDC login, message launch, a tool
configuration over the registrations loaded from the database, and per-request storage.

pylti1p3 is synchronous; the launch validation runs over data the async handlers loaded
beforehand (registration, the platform key, the sealed login), so nothing here does I/O."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from jwt.algorithms import RSAAlgorithm
from pylti1p3.cookie import CookieService
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.registration import Registration
from pylti1p3.request import Request
from pylti1p3.session import SessionService
from pylti1p3.tool_config.abstract import ToolConfAbstract

from core.lti.model import Platform

COOKIE_PREFIX = "lti1p3"


class AiohttpRequest(Request):
    """The parameters and cookies of one aiohttp request, read up front."""

    def __init__(
        self,
        params: Mapping[str, str],
        cookies: Mapping[str, str],
        secure: bool,
    ) -> None:
        self._params = dict(params)
        self._cookies = dict(cookies)
        self._secure = secure

    @classmethod
    async def read(cls, request: web.Request, secure: bool) -> AiohttpRequest:
        params: dict[str, str] = dict(request.query)
        if request.method == "POST":
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return cls(params, request.cookies, secure)

    @property
    def session(self) -> dict[str, Any]:
        return {}

    def is_secure(self) -> bool:
        return self._secure

    def get_param(self, key: str) -> str:
        return self._params.get(key) or ""

    def get_cookie(self, key: str) -> str | None:
        return self._cookies.get(key)


class AiohttpCookieService(CookieService):
    """Cookies pylti1p3 wants set, applied to the response afterwards; over https they are
    `SameSite=None; Secure` so they survive the LMS iframe."""

    _cookie_prefix = COOKIE_PREFIX

    def __init__(self, request: AiohttpRequest, path: str = "/lti/") -> None:
        self._request = request
        self._path = path
        self._to_set: dict[str, tuple[str, int | None]] = {}

    def _key(self, name: str) -> str:
        return f"{self._cookie_prefix}-{name}"

    def get_cookie(self, name: str) -> str | None:
        return self._request.get_cookie(self._key(name))

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self._to_set[self._key(name)] = (str(value), exp)

    def update_response(self, response: web.StreamResponse) -> None:
        secure = self._request.is_secure()
        for key, (value, exp) in self._to_set.items():
            response.set_cookie(
                key,
                value,
                max_age=exp,
                path=self._path,
                httponly=True,
                secure=secure,
                samesite="None" if secure else "Lax",
            )


class AiohttpRedirect(Redirect[web.Response]):
    def __init__(self, location: str, cookie_service: AiohttpCookieService | None = None) -> None:
        self._location = location
        self._cookie_service = cookie_service

    def _finish(self, response: web.Response) -> web.Response:
        if self._cookie_service:
            self._cookie_service.update_response(response)
        return response

    def do_redirect(self) -> web.Response:
        return self._finish(web.Response(status=302, headers={"Location": self._location}))

    def do_js_redirect(self) -> web.Response:
        import json

        body = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Signing in…</title>"
            f"<script>window.location={json.dumps(self._location)};</script></head>"
            "<body><p>Signing in…</p></body></html>"
        )
        return self._finish(web.Response(text=body, content_type="text/html"))

    def set_redirect_url(self, location: str) -> None:
        self._location = location

    def get_redirect_url(self) -> str:
        return self._location


class RequestStorage(LaunchDataStorage[Any]):
    """pylti1p3's key-value storage for one request, preloaded from the database: the
    database stays the truth (one-time nonces, browser-bound state)."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.values: dict[str, Any] = dict(values or {})

    def can_set_keys_expiration(self) -> bool:
        return False

    def get_value(self, key: str) -> Any:
        return self.values.get(key)

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        self.values[key] = value

    def check_value(self, key: str) -> bool:
        return key in self.values


class DbToolConf(ToolConfAbstract[AiohttpRequest]):
    """Registrations as loaded from the database for this request (issuer → clients →
    deployments); inactive registrations are never handed to pylti1p3."""

    def __init__(self, platform: Platform, registration: Registration) -> None:
        self.issuers_relation_types = {}
        self._platform = platform
        self._registration = registration
        self.set_iss_has_many_clients(platform.issuer)

    def _matches(self, iss: str, client_id: str | None) -> bool:
        return (
            self._platform.active
            and iss == self._platform.issuer
            and (not client_id or client_id == self._platform.client_id)
        )

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        return self._registration if self._matches(iss, None) else None  # type: ignore[return-value]

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        return self._registration if self._matches(iss, client_id) else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, self._platform.client_id)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        if self._matches(iss, client_id) and deployment_id in self._platform.deployment_ids:
            return Deployment().set_deployment_id(deployment_id)
        return None


class AiohttpOIDCLogin(
    OIDCLogin[AiohttpRequest, DbToolConf, SessionService, AiohttpCookieService, web.Response]
):
    """OIDC third-party login with the state and nonce the core issued (stored, one-time)."""

    def __init__(
        self,
        request: AiohttpRequest,
        tool_config: DbToolConf,
        state_token: str,
        nonce: str,
    ) -> None:
        session = SessionService(request)
        session.set_data_storage(RequestStorage())
        super().__init__(request, tool_config, session, AiohttpCookieService(request))
        self._state_token = state_token
        self._nonce = nonce

    def _get_uuid(self) -> str:
        return self._state_token

    def _generate_nonce(self) -> str:
        return self._nonce

    def get_redirect(self, url: str) -> AiohttpRedirect:
        return AiohttpRedirect(url, self._cookie_service)

    def get_response(self, html: str) -> web.Response:
        return web.Response(text=html, content_type="text/html")

    @property
    def cookies(self) -> AiohttpCookieService:
        return self._cookie_service


class AiohttpMessageLaunch(
    MessageLaunch[AiohttpRequest, DbToolConf, SessionService, AiohttpCookieService]
):
    """Message launch validation; exp/iat are checked by the core with leeway and max age."""

    def __init__(
        self, request: AiohttpRequest, tool_config: DbToolConf, storage: RequestStorage
    ) -> None:
        session = SessionService(request)
        session.set_data_storage(storage)
        super().__init__(
            request,
            tool_config,
            session_service=session,
            cookie_service=AiohttpCookieService(request),
        )
        self.set_jwt_verify_options(
            {"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False}
        )

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)

    def claims(self) -> dict[str, Any]:
        return dict(self._jwt.get("body", {}))

    def get_public_key(self) -> tuple[Any, str]:
        """pylti1p3's key choice (the registration's key with the header's kid and alg), but the
        key object is parsed once per key, not converted JWK → PEM → key on every launch."""
        assert self._registration is not None, "Registration not yet set"
        key_set: Mapping[str, Any] = self._registration.get_key_set() or {}
        header = self._jwt.get("header", {})
        kid, alg = header.get("kid"), header.get("alg")
        if not kid:
            raise LtiException("JWT KID not found")
        if not alg:
            raise LtiException("JWT ALG not found")
        for key in key_set.get("keys", []):
            key_alg = key.get("alg", "RS256")
            if key.get("kid") == kid and key_alg == alg:
                try:
                    return _rsa_public_key(json.dumps(key, sort_keys=True)), key_alg
                except (ValueError, TypeError, KeyError) as exc:
                    raise LtiException("Can't convert JWT key to PEM format") from exc
        raise LtiException("Unable to find public key")


@functools.lru_cache(maxsize=64)
def _rsa_public_key(jwk_json: str) -> Any:
    """A platform's RSA public key object from its JWK (keyed by the whole JWK, so a rotated
    key with a reused kid is parsed afresh)."""
    key = RSAAlgorithm.from_jwk(jwk_json)
    if hasattr(key, "private_numbers"):
        raise ValueError("a platform key must be a public key")
    return key


@functools.lru_cache(maxsize=16)
def _public_pem(private_pem: str) -> str:
    """The public half of a tool key (deriving it costs milliseconds; keys change rarely)."""
    from jwcrypto.jwk import JWK

    return str(JWK.from_pem(private_pem.encode()).export_to_pem().decode())


def tool_registration(
    platform: Platform, private_pem: str | None, key_set: dict[str, Any] | None
) -> Registration:
    """A pylti1p3 registration for one platform; the tool's key only where the tool signs."""
    reg = Registration()
    reg.set_issuer(platform.issuer).set_client_id(platform.client_id)
    reg.set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
    reg.set_key_set_url(platform.key_set_url)
    reg.set_key_set(key_set)  # type: ignore[arg-type]
    if platform.auth_audience:
        reg.set_auth_audience(platform.auth_audience)
    if private_pem:
        reg.set_tool_private_key(private_pem).set_tool_public_key(_public_pem(private_pem))
    return reg
