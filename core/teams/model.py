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


@dataclass(frozen=True)
class QuestionThread:
    """Where a question was asked in a channel or group chat: its answer is posted there.

    `conversation.conversation_id` is the thread itself (`<channel>;messageid=<root>`).
    """

    question_id: UUID
    conversation: ConversationRef
    root_message_id: str
    created_at: datetime


def thread_conversation_id(conversation_id: str, root_message_id: str) -> str:
    """The conversation id that replies into a channel thread rather than the channel."""
    if ";messageid=" in conversation_id or not root_message_id:
        return conversation_id
    return f"{conversation_id};messageid={root_message_id}"


def root_message_id(conversation_id: str) -> str:
    """The thread's root message id, when the conversation id names one."""
    _, _, root = conversation_id.partition(";messageid=")
    return root
