"""A forging platform (its own key) against the tool's real /lti/login and /lti/launch: every
bad launch is a 4xx page with a reason, opens no session and stores nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from yarl import URL

from adapters.db.tables.lti import LtiLoginRow, LtiPlacementRow, LtiSessionRow
from adapters.db.tables.people import IdentityRow, PersonRow
from app.bootstrap import build_services
from core.lti import service as service_module
from core.lti.loginstate import seal, state_key, unseal
from tests.fakes.lti_forger import LTI, Forger, SigningKey
from tests.fakes.lti_tool import Tool, browser, query, start_tool

CLIENT = "peerlearn-client"


@pytest.fixture
async def forger(aiohttp_server: Any) -> Forger:
    f = Forger()
    server = await aiohttp_server(f.app())
    f.url = str(server.make_url("")).rstrip("/")
    return f


@pytest.fixture
async def tool(database_url: str, aiohttp_server: Any, org: Any, forger: Forger) -> Tool:
    t = await start_tool(database_url, aiohttp_server)
    await _register_forger(t.services, org, forger, "dep-1")
    return t


async def _register_forger(services: Any, org: Any, forger: Forger, deployment: str) -> None:
    """The forging platform registered with the tool, as an admin would, for `deployment`."""
    await services.lti.add_platform(
        org.id,
        issuer=forger.url,
        client_id=CLIENT,
        auth_login_url=forger.url + "/auth",
        auth_token_url=forger.url + "/token",
        key_set_url=forger.url + "/jwks",
        deployment_ids=[deployment],
    )


class Launcher:
    """Logs in through the tool like a browser, then posts a (possibly forged) launch."""

    def __init__(self, tool: Tool, forger: Forger) -> None:
        self.tool, self.forger = tool, forger
        self.browser = browser()
        self.state = self.nonce = ""

    async def login(self) -> None:
        async with self.browser.get(
            self.tool.url + "/lti/login",
            params={
                "iss": self.forger.url,
                "login_hint": "user-1",
                "target_link_uri": self.tool.launch_url,
                "client_id": CLIENT,
            },
            allow_redirects=False,
        ) as resp:
            assert resp.status == 302, await resp.text()
            params = query(resp.headers["Location"])
        self.state, self.nonce = params["state"], params["nonce"]

    def claims(self) -> dict[str, Any]:
        return self.forger.claims(
            issuer=self.forger.url, client_id=CLIENT, nonce=self.nonce, target=self.tool.launch_url
        )

    async def post(self, id_token: str, state: str | None = None) -> tuple[int, str, str]:
        async with self.browser.post(
            self.tool.launch_url,
            data={"id_token": id_token, "state": state if state is not None else self.state},
            allow_redirects=False,
        ) as resp:
            return resp.status, await resp.text(), resp.headers.get("Content-Location", "")


@pytest.fixture
async def launcher(tool: Tool, forger: Forger) -> AsyncIterator[Launcher]:
    launcher = Launcher(tool, forger)
    await launcher.login()
    yield launcher
    await launcher.browser.close()


async def stored() -> tuple[int, ...]:
    return (
        await LtiSessionRow.all().count(),
        await PersonRow.all().count(),
        await IdentityRow.all().count(),
        await LtiPlacementRow.all().count(),
        await LtiLoginRow.filter(used_at__isnull=False).count(),
    )


async def test_a_well_formed_launch_opens_the_course_page(launcher: Launcher) -> None:
    status, first, location = await launcher.post(launcher.forger.sign(launcher.claims()))
    # the course page comes in the launch response; its own address is given for reloads
    assert status == 200 and location.startswith("/lti/app/")
    assert "Data Literacy 101" in first and "Ada Lovelace" in first
    async with launcher.browser.get(launcher.tool.url + location) as page:
        html = await page.text()
    assert page.status == 200
    assert "Data Literacy 101" in html and "Ada Lovelace" in html
    assert await stored() == (1, 1, 1, 1, 1)


def _mutate(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def apply(claims: dict[str, Any]) -> None:
        for key, value in changes.items():
            key = key.replace("LTI_", LTI)
            if value is ...:
                claims.pop(key, None)
            else:
                claims[key] = value

    return apply


CLAIM_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "wrong_issuer": (_mutate(iss="https://evil.example"), "iss"),
    "wrong_audience": (_mutate(aud="someone-else"), "aud"),
    "missing_azp_with_several_audiences": (_mutate(aud=[CLIENT, "other-client"]), "azp"),
    "azp_of_another_client": (_mutate(aud=[CLIENT, "other"], azp="other"), "aud"),
    "expired": (_mutate(exp=int(time.time()) - 600), "exp"),
    "missing_iat": (_mutate(iat=...), "iat"),
    "too_old": (_mutate(iat=int(time.time()) - 3600), "iat"),
    "issued_in_the_future": (_mutate(iat=int(time.time()) + 3600), "iat"),
    "unknown_deployment": (_mutate(LTI_deployment_id="dep-unknown"), "deployment_id"),
    "bad_message_type": (_mutate(LTI_message_type="LtiSomethingElse"), "message_type"),
    "bad_version": (_mutate(LTI_version="1.1"), "version"),
    "roles_not_an_array": (_mutate(LTI_roles="Learner"), "roles"),
    "missing_resource_link": (_mutate(LTI_resource_link=...), "resource_link"),
    "target_link_uri_off_tool": (
        _mutate(LTI_target_link_uri="https://evil.example/phish"),
        "target_link_uri",
    ),
    "wrong_nonce": (_mutate(nonce="not-the-issued-nonce"), "nonce"),
}


@pytest.mark.parametrize("case", sorted(CLAIM_CASES))
async def test_a_forged_claim_is_refused_with_no_session_and_no_change(
    launcher: Launcher, case: str
) -> None:
    mutate, reason = CLAIM_CASES[case]
    claims = launcher.claims()
    mutate(claims)
    before = await stored()
    status, html, location = await launcher.post(launcher.forger.sign(claims))
    assert 400 <= status < 500, html
    assert not location
    assert f"<code>{reason}</code>" in html
    assert await stored() == before


async def test_a_bad_signature_is_refused(launcher: Launcher) -> None:
    token = launcher.forger.sign(launcher.claims())
    head, body, sig = token.split(".")
    forged = f"{head}.{body}.{sig[:-6]}AAAAAA"
    status, html, _ = await launcher.post(forged)
    assert status == 403 and "id_token" in html
    assert await stored() == (0, 0, 0, 0, 0)


async def test_a_token_signed_by_an_unpublished_key_is_refused_after_one_refetch(
    launcher: Launcher,
) -> None:
    stranger = SigningKey()
    status, html, _ = await launcher.post(launcher.forger.sign(launcher.claims(), key=stranger))
    assert status == 403 and "<code>kid</code>" in html
    assert launcher.forger.jwks_fetches == 1
    assert await stored() == (0, 0, 0, 0, 0)


async def test_a_symmetric_algorithm_is_refused(launcher: Launcher) -> None:
    import jwt

    token = jwt.encode(launcher.claims(), "a" * 32, algorithm="HS256", headers={"kid": "x"})
    status, html, _ = await launcher.post(token)
    assert status == 403 and "<code>alg</code>" in html
    assert await stored() == (0, 0, 0, 0, 0)


async def test_a_replayed_launch_is_refused(launcher: Launcher) -> None:
    token = launcher.forger.sign(launcher.claims())
    jar = launcher.browser.cookie_jar
    kept = {c.key: c.value for c in jar}
    first, _, _ = await launcher.post(token)
    assert first == 200
    # the attacker replays the token together with the browser's state cookie
    jar.update_cookies(kept, response_url=URL(launcher.tool.url + "/lti/"))
    before = await stored()
    again, html, _ = await launcher.post(token)
    assert again == 403 and "<code>nonce</code>" in html
    assert await stored() == before


async def test_a_launch_with_another_state_is_refused(launcher: Launcher) -> None:
    status, html, _ = await launcher.post(launcher.forger.sign(launcher.claims()), state="state-x")
    assert status == 403 and "<code>state</code>" in html
    assert await stored() == (0, 0, 0, 0, 0)


async def test_a_launch_from_another_browser_is_refused(launcher: Launcher) -> None:
    token = launcher.forger.sign(launcher.claims())
    other = browser()
    try:
        async with other.post(
            launcher.tool.launch_url,
            data={"id_token": token, "state": launcher.state},
            allow_redirects=False,
        ) as resp:
            status, html = resp.status, await resp.text()
    finally:
        await other.close()
    assert status == 403 and "<code>state</code>" in html
    assert await stored() == (0, 0, 0, 0, 0)


async def test_garbage_instead_of_a_token_is_a_400(launcher: Launcher) -> None:
    for garbage in ("", "abc", "a.b.c", "e30.e30.e30"):
        status, _, _ = await launcher.post(garbage)
        assert 400 <= status < 500
    assert await stored() == (0, 0, 0, 0, 0)


async def test_the_platform_key_set_is_fetched_once_for_many_launches(launcher: Launcher) -> None:
    for _ in range(3):
        await launcher.login()
        status, _, _ = await launcher.post(launcher.forger.sign(launcher.claims()))
        assert status == 200
    assert launcher.forger.jwks_fetches == 1


async def test_a_login_for_an_unknown_issuer_is_a_403_page(tool: Tool) -> None:
    async with (
        browser() as b,
        b.get(
            tool.url + "/lti/login",
            params={
                "iss": "https://nobody.example",
                "login_hint": "x",
                "target_link_uri": tool.launch_url,
            },
            allow_redirects=False,
        ) as resp,
    ):
        assert resp.status == 403
        assert "<code>iss</code>" in await resp.text()


async def test_a_login_targeting_another_site_is_refused(tool: Tool, forger: Forger) -> None:
    async with (
        browser() as b,
        b.post(
            tool.url + "/lti/login",
            data={"iss": forger.url, "login_hint": "x", "target_link_uri": "https://evil.example/"},
            allow_redirects=False,
        ) as resp,
    ):
        assert resp.status == 400
        assert "<code>target_link_uri</code>" in await resp.text()
    assert await LtiLoginRow.all().count() == 0


async def test_a_disabled_platform_cannot_log_in(tool: Tool, forger: Forger) -> None:
    (platform,) = await tool.services.lti.platforms()
    await tool.services.lti.set_active(platform.id, False)
    async with (
        browser() as b,
        b.get(
            tool.url + "/lti/login",
            params={"iss": forger.url, "login_hint": "x", "target_link_uri": tool.launch_url},
            allow_redirects=False,
        ) as resp,
    ):
        assert resp.status == 403
        assert "<code>inactive</code>" in await resp.text()


async def test_with_cookies_blocked_the_browser_secret_travels_through_platform_storage(
    tool: Tool, forger: Forger
) -> None:
    """LTI platform storage: the login page stores the secret with the platform frame
    (lti.put_data), the launch page reads it back (lti.get_data) and posts it with the launch."""
    import json
    import re

    no_cookies = browser()
    no_cookies.cookie_jar.clear()
    try:
        async with no_cookies.get(
            tool.url + "/lti/login",
            params={
                "iss": forger.url,
                "login_hint": "user-1",
                "target_link_uri": tool.launch_url,
                "lti_storage_target": "post_message_forwarding",
            },
            allow_redirects=False,
        ) as resp:
            assert resp.status == 200
            html = await resp.text()
        config = json.loads(re.search(r"var cfg = (\{.*?\});", html).group(1))  # type: ignore[union-attr]
        assert config["mode"] == "put" and config["target"] == "post_message_forwarding"
        assert config["origin"] == forger.url
        params = query(config["next"])
        launcher = Launcher(tool, forger)
        launcher.state, launcher.nonce = params["state"], params["nonce"]
        token = forger.sign(launcher.claims())
        no_cookies.cookie_jar.clear()  # the iframe kept no cookie
        async with no_cookies.post(
            tool.launch_url,
            data={"id_token": token, "state": launcher.state},
            allow_redirects=False,
        ) as resp:
            relay = await resp.text()
            assert resp.status == 200 and '"mode": "get"' in relay
        assert await stored() == (0, 0, 0, 0, 0)
        async with no_cookies.post(
            tool.launch_url,
            data={"id_token": token, "state": launcher.state, "lti_browser": config["value"]},
            allow_redirects=False,
        ) as resp:
            assert resp.status == 200 and resp.headers["Content-Location"].startswith("/lti/app/")
        await launcher.browser.close()
    finally:
        await no_cookies.close()


async def test_in_an_iframe_the_login_first_checks_that_cookies_are_kept(
    tool: Tool, forger: Forger
) -> None:
    params = {"iss": forger.url, "login_hint": "u", "target_link_uri": tool.launch_url}
    async with browser() as b:
        async with b.get(
            tool.url + "/lti/login",
            params=params,
            headers={"Sec-Fetch-Dest": "iframe"},
            allow_redirects=False,
        ) as resp:
            page = await resp.text()
        assert resp.status == 200 and "Open peerlearn in a new tab" in page
        assert '"lti1p3_new_window": "1"' in page
        assert await LtiLoginRow.all().count() == 0
        async with b.get(
            tool.url + "/lti/login",
            params={**params, "lti1p3_new_window": "1"},
            headers={"Sec-Fetch-Dest": "iframe"},
            allow_redirects=False,
        ) as resp:
            assert resp.status == 302


async def test_a_login_made_just_before_a_key_rotation_still_launches(
    launcher: Launcher,
) -> None:
    await launcher.tool.services.lti.rotate_keys()
    status, html, _ = await launcher.post(launcher.forger.sign(launcher.claims()))
    assert status == 200, html
    assert await stored() == (1, 1, 1, 1, 1)


async def test_a_state_sealed_with_another_key_is_refused(launcher: Launcher) -> None:
    mine = unseal(launcher.state, await launcher.tool.services.lti._state_keys())
    assert mine is not None
    # the same login, sealed by someone who does not hold the tool's keys
    forged = seal(mine, state_key("not the tool's key"))
    launcher.browser.cookie_jar.update_cookies(
        {f"lti1p3-{forged}": "guess"}, response_url=URL(launcher.tool.url + "/lti/")
    )
    status, html, _ = await launcher.post(launcher.forger.sign(launcher.claims()), state=forged)
    assert status == 403 and "<code>state</code>" in html
    assert await stored() == (0, 0, 0, 0, 0)


# registrations changed by another process (the CLI, another server) -------------------------
def _other_process(tool: Tool) -> Any:
    """The services another process builds on the same database, with caches of its own."""
    return build_services(tool.settings)


async def test_a_platform_disabled_elsewhere_is_refused_at_the_next_launch(
    launcher: Launcher,
) -> None:
    tool = launcher.tool
    status, html, _ = await launcher.post(launcher.forger.sign(launcher.claims()))
    assert status == 200, html
    # the running tool has the registration cached; another process disables it
    (platform,) = await tool.services.lti.platforms()
    await _other_process(tool).lti.set_active(platform.id, False)
    await launcher.login()  # the login itself reads nothing: it goes through
    before = await stored()
    status, html, location = await launcher.post(launcher.forger.sign(launcher.claims()))
    assert status == 403 and "<code>inactive</code>" in html
    assert not location and await stored() == before
    # and the tool no longer trusts its cache: the next login is refused too
    async with launcher.browser.get(
        tool.url + "/lti/login",
        params={"iss": launcher.forger.url, "login_hint": "u", "target_link_uri": tool.launch_url},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 403 and "<code>inactive</code>" in await resp.text()


async def test_a_first_launch_after_a_disable_elsewhere_creates_no_profile(
    launcher: Launcher,
) -> None:
    (platform,) = await launcher.tool.services.lti.platforms()
    await _other_process(launcher.tool).lti.set_active(platform.id, False)
    status, html, _ = await launcher.post(launcher.forger.sign(launcher.claims()))
    assert status == 403 and "<code>inactive</code>" in html
    assert await stored() == (0, 0, 0, 0, 0)


async def test_an_approval_elsewhere_is_seen_within_the_recheck_interval(
    tool: Tool, forger: Forger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "PLATFORM_RECHECK_SECONDS", 0.2)
    (platform,) = await tool.services.lti.platforms()
    await tool.services.lti.set_active(platform.id, False)
    launcher = Launcher(tool, forger)
    params = {"iss": forger.url, "login_hint": "u", "target_link_uri": tool.launch_url}
    try:
        async with launcher.browser.get(
            tool.url + "/lti/login", params=params, allow_redirects=False
        ) as resp:
            assert resp.status == 403
        await _other_process(tool).lti.set_active(platform.id, True)
        await asyncio.sleep(0.3)
        await launcher.login()
        status, html, _ = await launcher.post(forger.sign(launcher.claims()))
        assert status == 200, html
    finally:
        await launcher.browser.close()


async def test_a_deployment_added_elsewhere_launches_at_once(launcher: Launcher, org: Any) -> None:
    tool, forger = launcher.tool, launcher.forger
    status, html, _ = await launcher.post(forger.sign(launcher.claims()))
    assert status == 200, html
    await _register_forger(_other_process(tool), org, forger, "dep-2")
    await asyncio.sleep(service_module.PLATFORM_RECHECK_SECONDS)
    await launcher.login()
    claims = launcher.claims()
    claims[LTI + "deployment_id"] = "dep-2"
    status, html, _ = await launcher.post(forger.sign(claims))
    assert status == 200, html
