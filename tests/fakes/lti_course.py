"""A person in a course of the lti1p3platform fake, clicking peerlearn's link and using its
pages like a browser (cookies kept, forms posted with their CSRF token)."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.lti1p3_platform import Lti1p3Platform
from tests.fakes.lti_tool import Tool, browser


class User:
    """A browser clicking the peerlearn link in the platform's course."""

    def __init__(self, tool: Tool, platform: Lti1p3Platform, user_id: str) -> None:
        self.tool, self.platform, self.user_id = tool, platform, user_id
        self.browser = browser()
        self.page_url = ""

    async def launch(self, deep_linking: bool = False) -> str:
        url = self.platform.login_url(self.user_id, deep_linking=deep_linking)
        async with self.browser.get(url, allow_redirects=False) as resp:
            assert resp.status == 302, await resp.text()
            authorize = resp.headers["Location"]
        async with self.browser.get(authorize) as resp:
            assert resp.status == 200, await resp.text()
            form = await resp.json()
        async with self.browser.post(
            form["launch_url"],
            data={"id_token": form["id_token"], "state": form["state"]},
            allow_redirects=False,
        ) as resp:
            # the first page comes in the launch response, with its own address for later
            assert resp.status == 200, await resp.text()
            self.page_url = self.tool.url + resp.headers["Content-Location"]
            return await resp.text()

    async def page(self, url: str | None = None) -> str:
        async with self.browser.get(url or self.page_url) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.text()

    async def submit(self, path: str, html: str, data: dict[str, str]) -> Any:
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
        assert csrf is not None
        return self.browser.post(
            self.page_url + path, data={"csrf": csrf.group(1), **data}, allow_redirects=False
        )

    async def act(self, path: str, html: str, data: dict[str, str]) -> str:
        """Post a form of the page and follow the redirect back to it (post/redirect/get)."""
        async with await self.submit(path, html, data) as resp:
            assert resp.status == 303, await resp.text()
            location = resp.headers["Location"]
        return await self.page(self.tool.url + location)

    async def deep_link(self, data: dict[str, str]) -> dict[str, Any]:
        """As an instructor: place an item from a deep linking launch; the platform validates
        the signed answer. Returns the item the platform received."""
        html = await self.launch(deep_linking=True)
        async with await self.submit("/deep-link", html, data) as resp:
            assert resp.status == 200, await resp.text()
            answer = await resp.text()
        jwt_value = re.search(r'name="JWT" value="([^"]+)"', answer)
        assert jwt_value
        async with self.browser.post(
            self.platform.url + "/deep-link-return", data={"JWT": jwt_value.group(1)}
        ) as resp:
            assert resp.status == 200, await resp.text()
        return dict(self.platform.deep_link_items[-1])
