"""Where a Teams conversation lives, so the bot can continue it later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

ConversationType = Literal["personal", "groupChat", "channel"]


@dataclass(frozen=True)
class ConversationRef:
    """Everything `continue_conversation` needs, scoped to one organisation.

    A personal conversation belongs to one person; group chats and channels to nobody in
    particular (`person_id` is then the person who last spoke to the bot there).
    """

    organisation_id: UUID
    conversation_id: str
    conversation_type: ConversationType
    service_url: str
    tenant_id: str
    bot_id: str
    bot_name: str
    user_id: str
    person_id: UUID | None
    channel_id: str = "msteams"
    team_id: str | None = None
    updated_at: datetime | None = None


def conversation_type(raw: str | None) -> ConversationType:
    """Teams says personal, groupChat or channel; anything else is treated as personal."""
    if raw == "channel":
        return "channel"
    if raw == "groupChat":
        return "groupChat"
    return "personal"
