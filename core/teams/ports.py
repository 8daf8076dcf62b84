"""Storage of conversation references."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from core.teams.model import ConversationRef


class ConversationRefRepository(Protocol):
    async def upsert(self, ref: ConversationRef) -> None: ...

    async def get(self, organisation_id: UUID, conversation_id: str) -> ConversationRef | None: ...

    async def personal_for(
        self, organisation_id: UUID, person_id: UUID
    ) -> ConversationRef | None: ...

    async def list(self, organisation_id: UUID, limit: int = 100) -> Sequence[ConversationRef]: ...
