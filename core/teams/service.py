"""Use cases for the conversations the bot keeps so it can send notices later."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from uuid import UUID

from core.clock import Clock
from core.errors import InvalidInput
from core.ports import UnitOfWorkFactory
from core.teams.model import ConversationRef

_MAX = 512


class TeamsService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def remember_conversation(self, ref: ConversationRef) -> ConversationRef:
        """Store or refresh a conversation reference (its service URL can change)."""
        for name in ("conversation_id", "service_url", "tenant_id", "bot_id", "user_id"):
            value = getattr(ref, name)
            if not value or len(value) > _MAX:
                raise InvalidInput(f"a conversation reference needs a {name} (≤{_MAX} chars)")
        if not ref.service_url.startswith(("https://", "http://")):
            raise InvalidInput("a conversation's service URL must be http(s)")
        ref = replace(ref, updated_at=self._clock.now())
        async with self._uow() as uow:
            await uow.teams_conversations.upsert(ref)
            await uow.commit()
        return ref

    async def personal_conversation(
        self, organisation_id: UUID, person_id: UUID
    ) -> ConversationRef | None:
        """The 1:1 chat with a person, if they installed the app."""
        async with self._uow() as uow:
            return await uow.teams_conversations.personal_for(organisation_id, person_id)

    async def conversation(
        self, organisation_id: UUID, conversation_id: str
    ) -> ConversationRef | None:
        async with self._uow() as uow:
            return await uow.teams_conversations.get(organisation_id, conversation_id)

    async def conversations(
        self, organisation_id: UUID, limit: int = 100
    ) -> Sequence[ConversationRef]:
        async with self._uow() as uow:
            return await uow.teams_conversations.list(organisation_id, limit)
