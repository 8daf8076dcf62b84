"""Storage of conversation references, question threads and shared send limits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from core.teams.limits import SendHistory
from core.teams.model import ConversationRef, QuestionThread


class ConversationRefRepository(Protocol):
    async def upsert(self, ref: ConversationRef) -> None: ...

    async def get(self, organisation_id: UUID, conversation_id: str) -> ConversationRef | None: ...

    async def personal_for(
        self, organisation_id: UUID, person_id: UUID
    ) -> ConversationRef | None: ...

    async def list(self, organisation_id: UUID, limit: int = 100) -> Sequence[ConversationRef]: ...

    async def add_thread(self, thread: QuestionThread) -> None:
        """Keep the first thread of a question (asking again from elsewhere changes nothing)."""
        ...

    async def thread_for(
        self, organisation_id: UUID, question_id: UUID
    ) -> QuestionThread | None: ...


class SendLimitRepository(Protocol):
    """Per-conversation send histories, updated with optimistic concurrency."""

    async def get(self, key: str) -> tuple[SendHistory, int] | None:
        """The history and its version."""
        ...

    async def save(
        self, key: str, history: SendHistory, version: int | None, now: datetime
    ) -> bool:
        """Store `history` if nobody changed it since `version` was read (None: a new key).
        False when someone did; the caller reads again."""
        ...
