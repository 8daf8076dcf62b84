"""LTI Dynamic Registration 1.0 against a local platform serving an OpenID configuration and a
registration endpoint: the tool registers, stays inactive until approved (unless the
organisation auto-approves), and refuses a configuration whose issuer does not match."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web

from tests.fakes.lti_tool import Tool, browser, start_tool

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


class RegisteringPlatform:
    def __init__(self) -> None:
        self.url = ""
        self.issuer_override: str | None = None
        self.registrations: list[dict[str, Any]] = []
        self.tokens_seen: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self.config)
        app.router.add_post("/register", self.register)
        return app

    async def config(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer_override or self.url,
                "authorization_endpoint": self.url + "/auth",
                "token_endpoint": self.url + "/token",
                "jwks_uri": self.url + "/jwks",
                "registration_endpoint": self.url + "/register",
                "id_token_signing_alg_values_supported": ["RS256"],
                "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                    "product_family_code": "moodle",
                    "version": "4.4",
                    "messages_supported": [{"type": "LtiResourceLinkRequest"}],
                },
            }
        )

    async def register(self, request: web.Request) -> web.Response:
        self.tokens_seen.append(request.headers.get("Authorization", ""))
        body = await request.json()
        self.registrations.append(body)
        return web.json_response(
            {
                **body,
                "client_id": f"dyn-client-{len(self.registrations)}",
                TOOL_CONFIGURATION: {**body[TOOL_CONFIGURATION], "deployment_id": "dyn-dep-1"},
            }
        )


@pytest.fixture
async def lms(aiohttp_server: Any) -> RegisteringPlatform:
    p = RegisteringPlatform()
    server = await aiohttp_server(p.app())
    p.url = str(server.make_url("")).rstrip("/")
    return p


@pytest.fixture
async def tool(database_url: str, aiohttp_server: Any, org: Any) -> Tool:
    return await start_tool(database_url, aiohttp_server)


async def _register(
    tool: Tool, lms: RegisteringPlatform, url: str = "", **params: str
) -> tuple[int, str]:
    """What the LMS does with the URL the admin pasted: adds its configuration URL and its
    own registration token, and opens it."""
    if not url:
        url, params = tool.url + "/lti/register", {"org": "acme", **params}
    async with (
        browser() as b,
        b.get(
            url,
            params={
                "openid_configuration": lms.url + "/.well-known/openid-configuration",
                "registration_token": "reg-token-1",
                **params,
            },
        ) as resp,
    ):
        return resp.status, await resp.text()


async def _registration_url(tool: Tool, org: Any, **kwargs: Any) -> tuple[Any, str]:
    token, secret = await tool.services.lti.issue_registration_token(org.id, **kwargs)
    return token, tool.services.lti.registration_url(secret)


async def test_a_dynamic_registration_waits_for_approval(
    tool: Tool, lms: RegisteringPlatform
) -> None:
    status, html = await _register(tool, lms)
    assert status == 200 and "waits for approval" in html
    (sent,) = lms.registrations
    assert sent["initiate_login_uri"] == tool.url + "/lti/login"
    assert sent["redirect_uris"] == [tool.url + "/lti/launch"]
    assert sent["jwks_uri"] == tool.url + "/lti/jwks"
    assert lms.tokens_seen == ["Bearer reg-token-1"]
    (platform,) = await tool.services.lti.platforms()
    assert (platform.issuer, platform.client_id, platform.deployment_ids) == (
        lms.url,
        "dyn-client-1",
        ("dyn-dep-1",),
    )
    assert not platform.active and platform.source == "dynamic"
    # until approved, logins from it are refused
    async with (
        browser() as b,
        b.get(
            tool.url + "/lti/login",
            params={"iss": lms.url, "login_hint": "u", "target_link_uri": tool.launch_url},
            allow_redirects=False,
        ) as resp,
    ):
        assert resp.status == 403
    await tool.services.lti.set_active(platform.id, True)
    async with (
        browser() as b,
        b.get(
            tool.url + "/lti/login",
            params={"iss": lms.url, "login_hint": "u", "target_link_uri": tool.launch_url},
            allow_redirects=False,
        ) as resp,
    ):
        assert resp.status == 302
        assert resp.headers["Location"].startswith(lms.url + "/auth?")


async def test_an_organisation_with_auto_approval_is_active_at_once(
    tool: Tool, lms: RegisteringPlatform, org: Any
) -> None:
    await tool.services.lti.set_auto_approve(org.id, True)
    _, url = await _registration_url(tool, org)
    status, html = await _register(tool, lms, url)
    assert status == 200 and "is active" in html
    (platform,) = await tool.services.lti.platforms()
    assert platform.active and platform.organisation_id == org.id


async def test_a_url_naming_the_organisation_in_clear_is_never_auto_approved(
    tool: Tool, lms: RegisteringPlatform, org: Any
) -> None:
    await tool.services.lti.set_auto_approve(org.id, True)
    status, html = await _register(tool, lms)
    assert status == 200 and "waits for approval" in html
    (platform,) = await tool.services.lti.platforms()
    assert not platform.active


async def test_the_admin_pastes_one_url_carrying_the_organisation(
    tool: Tool, lms: RegisteringPlatform, org: Any
) -> None:
    other = await tool.services.people.create_organisation("globex", "Globex")
    token, url = await _registration_url(tool, other, expires_in=timedelta(days=7))
    assert "globex" not in url and "?" not in url
    status, html = await _register(tool, lms, url)
    assert status == 200 and "waits for approval" in html
    (platform,) = await tool.services.lti.platforms()
    assert platform.organisation_id == other.id and platform.client_id == "dyn-client-1"
    assert lms.tokens_seen == ["Bearer reg-token-1"]
    (listed,) = await tool.services.lti.registration_tokens(other.id)
    assert listed.id == token.id and listed.last_used_at is not None
    assert listed.token_hash not in url


async def test_unknown_revoked_and_expired_registration_urls_are_refused(
    tool: Tool, lms: RegisteringPlatform, org: Any
) -> None:
    status, html = await _register(tool, lms, tool.url + "/lti/register/not-a-real-secret")
    assert status == 403 and "<code>registration_token</code>" in html
    assert "ask your peerlearn admin for a new one" in html
    revoked, url = await _registration_url(tool, org)
    await tool.services.lti.revoke_registration_token(org.id, revoked.id)
    status, html = await _register(tool, lms, url)
    assert status == 403 and "<code>registration_token</code>" in html
    _, url = await _registration_url(tool, org, expires_in=timedelta(hours=1))
    assert (await _register(tool, lms, url))[0] == 200
    tool.clock.advance(timedelta(hours=2))
    status, html = await _register(tool, lms, url)
    assert status == 403 and "<code>registration_token</code>" in html
    # refused before anything is asked of the platform or stored
    assert len(lms.registrations) == 1
    assert len(await tool.services.lti.platforms()) == 1


async def test_a_single_organisation_install_accepts_the_bare_url(
    tool: Tool, lms: RegisteringPlatform, org: Any
) -> None:
    await tool.services.lti.set_auto_approve(org.id, True)
    status, html = await _register(tool, lms, tool.url + "/lti/register")
    assert status == 200 and "waits for approval" in html
    (platform,) = await tool.services.lti.platforms()
    assert platform.organisation_id == org.id and not platform.active


async def test_a_configuration_claiming_another_issuer_is_refused(
    tool: Tool, lms: RegisteringPlatform
) -> None:
    lms.issuer_override = "https://lms.other.example"
    status, html = await _register(tool, lms)
    assert status == 403 and "<code>issuer</code>" in html
    assert lms.registrations == []
    assert await tool.services.lti.platforms() == []


async def test_a_bare_registration_link_with_several_organisations_is_a_400(
    tool: Tool, lms: RegisteringPlatform
) -> None:
    await tool.services.people.create_organisation("globex", "Globex")
    async with (
        browser() as b,
        b.get(
            tool.url + "/lti/register",
            params={"openid_configuration": lms.url + "/.well-known/openid-configuration"},
        ) as resp,
    ):
        assert resp.status == 400
        assert "peerlearn lti register-url" in await resp.text()
    assert lms.registrations == []


async def test_an_unreachable_configuration_is_refused_cleanly(tool: Tool) -> None:
    async with (
        browser() as b,
        b.get(
            tool.url + "/lti/register",
            params={
                "openid_configuration": "http://127.0.0.1:9/.well-known/openid-configuration",
                "org": "acme",
            },
        ) as resp,
    ):
        assert resp.status == 403
        assert "<code>openid_configuration</code>" in await resp.text()
