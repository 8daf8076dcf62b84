"""Microsoft 365 Agents Playground driven headless: a real Teams-like client and mock connector
(npm `@microsoft/m365agentsplayground`, installed by `scripts/install-test-tools`) talking to
our bot over HTTP. Its own HTTP API sends messages and invokes; its WebSocket streams what the
bot posts.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
CLI = (
    ROOT
    / ".cache"
    / "playground"
    / "node_modules"
    / "@microsoft"
    / "m365agentsplayground"
    / "cli.js"
)
LOOPBACK = Path(__file__).parent / "data" / "playground_loopback.js"
TENANT = "11111111-2222-3333-4444-555555555555"
USER = {
    "id": "29:fixed-user-id",
    "aad": "aaaaaaaa-0000-0000-0000-000000000001",
    "name": "Test Admin",
}
PERSONAL_CHAT = "a:fixed-personal-chat"

CONFIG = (
    f"""version: "0.1.1"
tenantId: {TENANT}
bot:
  id: 28:fixed-bot-id
  name: peerlearn
currentUser:
  id: {USER["id"]}
  name: {USER["name"]}
  userPrincipleName: admin@contoso.test
  aadObjectId: {USER["aad"]}
  givenName: Test
  surname: Admin
  email: admin@contoso.test
users:
"""
    + "".join(
        f"""  - id: 29:user-{i}
    name: User {i}
    userPrincipleName: user{i}@contoso.test
    aadObjectId: aaaaaaaa-0000-0000-0000-00000000001{i}
    givenName: User
    surname: N{i}
    email: user{i}@contoso.test
"""
        for i in range(1, 6)
    )
    + f"""personalChat:
  id: {PERSONAL_CHAT}
groupChat:
  id: 19:fixed-group-chat@thread.v2
  name: QA Group
team:
  id: 19:fixed-general@thread.tacv2
  name: QA Team
  aadGroupId: bbbbbbbb-0000-0000-0000-000000000001
  channels:
    - id: 19:fixed-alerts@thread.tacv2
      name: Alerts
"""
)


def installed() -> bool:
    return CLI.exists() and shutil.which("node") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Playground:
    def __init__(self, bot_url: str, workdir: Path) -> None:
        self.bot_url = bot_url
        self.workdir = workdir
        self.url = ""
        self._process: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    async def start(self) -> None:
        (self.workdir / ".m365agentsplayground.yml").write_text(CONFIG)
        env = {
            **os.environ,
            "APPLICATION_INSIGHTS_NO_STATSBEAT": "true",
            "TEAMSAPPTESTER_BROWSER": "none",
        }
        self._process = await asyncio.create_subprocess_exec(
            "node",
            "-r",
            str(LOOPBACK),
            str(CLI),
            "start",
            "-e",
            self.bot_url,
            "-c",
            "msteams",
            "--disable-telemetry",
            "-p",
            str(_free_port()),
            cwd=self.workdir,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert self._process.stdout is not None
        while True:
            line = (await asyncio.wait_for(self._process.stdout.readline(), 60)).decode()
            if not line:
                raise RuntimeError("the Agents Playground exited before listening")
            if line.startswith("Listening on"):
                self.url = f"http://127.0.0.1:{int(line.split()[-1])}"
                break
        asyncio.get_running_loop().create_task(self._drain_stdout())
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(
            self.url.replace("http", "ws") + "/_ws_conversation/v1/conversations/stream"
        )
        await self.frames(wait=0.5)  # frames queued before we connected

    async def _drain_stdout(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        while await self._process.stdout.readline():
            pass

    async def stop(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            try:
                await asyncio.wait_for(self._process.wait(), 10)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()

    async def frames(self, wait: float = 10.0, until: int = 0) -> list[dict[str, Any]]:
        """What the bot posted: frames until `until` messages arrived or `wait` seconds of quiet."""
        assert self._ws is not None
        found: list[dict[str, Any]] = []
        while True:
            try:
                msg = await asyncio.wait_for(
                    self._ws.receive(), wait if len(found) < until else 0.3
                )
            except TimeoutError:
                return found
            if msg.type != aiohttp.WSMsgType.TEXT:
                return found
            frame = json.loads(msg.data)
            if frame.get("action") in ("createMessage", "updateMessage"):
                found.append(frame)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        assert self._session is not None
        async with self._session.post(self.url + path, json=body) as resp:
            text = await resp.text()
            assert resp.status == 200, f"{path}: {resp.status} {text}"
            return json.loads(text) if text else None

    async def install(self) -> None:
        await self.post(f"/_debug/conversation/{PERSONAL_CHAT}/installation", {})

    async def say(self, text: str) -> None:
        await self.post(
            f"/_conversation/v1/conversations/{PERSONAL_CHAT}/messages",
            {"from": {"id": USER["id"]}, "text": text, "textFormat": "plain"},
        )

    async def press(self, card_message_id: str, action: dict[str, Any]) -> Any:
        """Click an Action.Execute button on a card the bot posted; returns the invoke response."""
        return await self.post(
            "/_conversation/v1/invoke",
            {
                "name": "adaptiveCard/action",
                "value": {"action": action, "trigger": "manual"},
                "from": {"id": USER["id"]},
                "conversation": {"id": PERSONAL_CHAT},
                "replyToId": card_message_id,
            },
        )
