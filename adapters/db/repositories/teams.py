"""Conversation references, upserted so concurrent install events never collide."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from tortoise.exceptions import IntegrityError

from adapters.db.tables.teams import ConversationRefRow, QuestionThreadRow, SendLimitRow
from core.ids import new_id
from core.teams.limits import SendHistory
from core.teams.model import ConversationRef, QuestionThread, conversation_type

_UPDATED = (
    "conversation_type",
    "service_url",
    "tenant_id",
    "bot_id",
    "bot_name",
    "user_id",
    "person_id",
    "channel_id",
    "team_id",
    "updated_at",
)


def to_ref(row: ConversationRefRow | QuestionThreadRow) -> ConversationRef:
    """The reference a row stores (a thread row holds one too, as of its `created_at`)."""
    return ConversationRef(
        organisation_id=row.organisation_id,
        conversation_id=row.conversation_id,
        conversation_type=conversation_type(row.conversation_type),
        service_url=row.service_url,
        tenant_id=row.tenant_id,
        bot_id=row.bot_id,
        bot_name=row.bot_name,
        user_id=row.user_id,
        person_id=row.person_id,
        channel_id=row.channel_id,
        team_id=row.team_id,
        updated_at=row.updated_at if isinstance(row, ConversationRefRow) else row.created_at,
    )


class DbConversationRefs:
    async def upsert(self, ref: ConversationRef) -> None:
        row = ConversationRefRow(
            id=new_id(),
            organisation_id=ref.organisation_id,
            conversation_id=ref.conversation_id,
            conversation_type=ref.conversation_type,
            service_url=ref.service_url,
            tenant_id=ref.tenant_id,
            bot_id=ref.bot_id,
            bot_name=ref.bot_name,
            user_id=ref.user_id,
            person_id=ref.person_id,
            channel_id=ref.channel_id,
            team_id=ref.team_id,
            updated_at=ref.updated_at,
        )
        await ConversationRefRow.bulk_create(
            [row], on_conflict=["organisation_id", "conversation_id"], update_fields=_UPDATED
        )

    async def get(self, organisation_id: UUID, conversation_id: str) -> ConversationRef | None:
        row = await ConversationRefRow.get_or_none(
            organisation_id=organisation_id, conversation_id=conversation_id
        )
        return to_ref(row) if row else None

    async def personal_for(self, organisation_id: UUID, person_id: UUID) -> ConversationRef | None:
        row = (
            await ConversationRefRow.filter(
                organisation_id=organisation_id, person_id=person_id, conversation_type="personal"
            )
            .order_by("-updated_at")
            .first()
        )
        return to_ref(row) if row else None

    async def list(self, organisation_id: UUID, limit: int = 100) -> Sequence[ConversationRef]:
        rows = (
            await ConversationRefRow.filter(organisation_id=organisation_id)
            .order_by("-updated_at")
            .limit(limit)
        )
        return [to_ref(r) for r in rows]

    async def add_thread(self, thread: QuestionThread) -> None:
        ref = thread.conversation
        row = QuestionThreadRow(
            id=new_id(),
            organisation_id=ref.organisation_id,
            question_id=thread.question_id,
            conversation_id=ref.conversation_id,
            conversation_type=ref.conversation_type,
            root_message_id=thread.root_message_id[:128],
            service_url=ref.service_url,
            tenant_id=ref.tenant_id,
            bot_id=ref.bot_id,
            bot_name=ref.bot_name,
            user_id=ref.user_id,
            person_id=ref.person_id,
            channel_id=ref.channel_id,
            team_id=ref.team_id,
            created_at=thread.created_at,
        )
        await QuestionThreadRow.bulk_create([row], ignore_conflicts=True)

    async def thread_for(self, organisation_id: UUID, question_id: UUID) -> QuestionThread | None:
        row = await QuestionThreadRow.get_or_none(
            organisation_id=organisation_id, question_id=question_id
        )
        if row is None:
            return None
        ref = to_ref(row)
        return QuestionThread(row.question_id, ref, row.root_message_id, row.created_at)


class DbSendLimits:
    async def get(self, key: str) -> tuple[SendHistory, int] | None:
        # locked until the unit of work ends (PostgreSQL), so concurrent senders queue here
        # instead of retrying; SQLite serialises writers anyway, and `version` guards both
        row = await SendLimitRow.filter(key=key).select_for_update().first()
        return (SendHistory.from_json(row.history), row.version) if row else None

    async def save(
        self, key: str, history: SendHistory, version: int | None, now: datetime
    ) -> bool:
        if version is None:
            try:
                await SendLimitRow.create(key=key, history=history.to_json(), updated_at=now)
            except IntegrityError:
                # another process created it first; the unit of work is rolled back and retried
                return False
            return True
        changed = await SendLimitRow.filter(key=key, version=version).update(
            history=history.to_json(), version=version + 1, updated_at=now
        )
        return bool(changed)
