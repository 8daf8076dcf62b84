"""A community's Teams channel, created through Graph (messages in it are posted by the bot)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from adapters.graph.client import GraphClient
from adapters.graph.errors import from_exception
from core.delivery import PermanentError, Result
from core.outbox import OutboxMessage


class GraphChannels:
    def __init__(self, client: GraphClient) -> None:
        self._client = client

    async def deliver(self, message: OutboxMessage) -> Result:
        """TEAMS_CHANNEL rows: `team_id`, `display_name`, optional `description`; idempotent
        (an existing channel of that name is taken, not duplicated)."""
        payload = message.payload
        team = str(payload.get("team_id") or "")
        name = str(payload.get("display_name") or "").strip()
        if not team or not name:
            raise PermanentError("a Teams channel needs team_id and display_name")
        path = f"/teams/{quote(team)}/channels"
        try:
            existing = await self._find(path, name)
            if existing is not None:
                return existing
            created = await self._client.send_json(
                "POST",
                path,
                {
                    "displayName": name[:50],
                    "description": str(payload.get("description") or "")[:1024],
                    "membershipType": "standard",
                },
            )
        except Exception as exc:
            error = from_exception(exc)
            if "NameAlreadyExists" in error.reason:
                found = await self._find(path, name)
                if found is not None:
                    return found
            raise error from exc
        return _channel(created)

    async def _find(self, path: str, name: str) -> Result | None:
        listing = await self._client.send_json("GET", path)
        for channel in (listing or {}).get("value") or []:
            if str(channel.get("displayName", "")).lower() == name.lower():
                return _channel(channel)
        return None


def _channel(body: Any) -> Result:
    if not isinstance(body, dict) or not body.get("id"):
        raise PermanentError("graph answered without a channel id")
    return {"channel_id": str(body["id"]), "web_url": str(body.get("webUrl") or "")}
