"""Use cases for the conversations the bot keeps so it can send notices later."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from uuid import UUID

from core.clock import Clock
from core.errors import InvalidInput
from core.ports import UnitOfWorkFactory
from core.teams.limits import (
    TEAMS_WINDOWS,
    TENANT_QUEUE_SPACING,
    TENANT_WINDOWS,
    SendHistory,
    send_key,
    tenant_key,
)
from core.teams.model import ConversationRef, QuestionThread, root_message_id

_MAX = 512
#: optimistic-concurrency attempts before a send is treated as throttled for a moment
_RESERVE_ATTEMPTS = 20


class TeamsService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def remember_conversation(self, ref: ConversationRef) -> ConversationRef:
        """Store or refresh a conversation reference (its service URL can change)."""
        ref = self._checked(ref)
        async with self._uow() as uow:
            await uow.teams_conversations.upsert(ref)
            await uow.commit()
        return ref

    def _checked(self, ref: ConversationRef) -> ConversationRef:
        for name in ("conversation_id", "service_url", "tenant_id", "bot_id", "user_id"):
            value = getattr(ref, name)
            if not value or len(value) > _MAX:
                raise InvalidInput(f"a conversation reference needs a {name} (≤{_MAX} chars)")
        if not ref.service_url.startswith(("https://", "http://")):
            raise InvalidInput("a conversation's service URL must be http(s)")
        return replace(ref, updated_at=self._clock.now())

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

    # question threads -------------------------------------------------------------------------
    async def remember_thread(self, question_id: UUID, thread: ConversationRef) -> QuestionThread:
        """Remember the channel thread (or group chat) a question was asked in, so the answer
        is posted back there. `thread.conversation_id` names the thread (`…;messageid=<root>`)."""
        if thread.conversation_type == "personal":
            raise InvalidInput("only questions asked in a channel or group chat have a thread")
        ref = self._checked(thread)
        found = QuestionThread(
            question_id=question_id,
            conversation=ref,
            root_message_id=root_message_id(ref.conversation_id),
            created_at=self._clock.now(),
        )
        async with self._uow() as uow:
            await uow.teams_conversations.add_thread(found)
            await uow.commit()
        return found

    async def thread_for(self, organisation_id: UUID, question_id: UUID) -> QuestionThread | None:
        async with self._uow() as uow:
            return await uow.teams_conversations.thread_for(organisation_id, question_id)

    # send limits shared by every process ------------------------------------------------------
    async def reserve_send(
        self,
        conversation_id: str,
        windows: tuple[tuple[float, int], ...] = TEAMS_WINDOWS,
        *,
        tenant_id: str | None = None,
        tenant_windows: tuple[tuple[float, int], ...] = TENANT_WINDOWS,
    ) -> float:
        """Take one send from the conversation's allowance and, given `tenant_id`, from the
        tenant's (Teams' limit per app and tenant). Returns 0.0 when taken from both, else the
        seconds to wait before asking again; nothing is taken from either then. Every worker
        shares the counts (in the database), and senders told to wait are given times spread
        apart, so a burst drains steadily."""
        key = send_key(conversation_id)
        tenant = tenant_key(tenant_id) if tenant_id is not None else None
        for _ in range(_RESERVE_ATTEMPTS):
            now = self._clock.now()
            at = now.timestamp()
            async with self._uow() as uow:
                # the conversation's row before the tenant's, always: no two senders lock them
                # in opposite orders
                found = await uow.teams_send_limits.get(key)
                history, version = found if found is not None else (SendHistory(), None)
                wait = history.delay(at, windows)
                if wait > 0:
                    wait, history = history.queue(at, wait)
                    if await uow.teams_send_limits.save(key, history, version, now):
                        await uow.commit()
                        return wait
                    continue
                saved = True
                if tenant is not None:
                    found = await uow.teams_send_limits.get(tenant)
                    budget, budget_version = found if found is not None else (SendHistory(), None)
                    wait = budget.delay(at, tenant_windows)
                    if wait > 0:
                        # the conversation keeps its allowance for when the tenant has room
                        wait, budget = budget.queue(at, wait, TENANT_QUEUE_SPACING)
                        if await uow.teams_send_limits.save(tenant, budget, budget_version, now):
                            await uow.commit()
                            return wait
                        continue
                    budget = budget.record(at, max(s for s, _ in tenant_windows))
                    saved = await uow.teams_send_limits.save(tenant, budget, budget_version, now)
                history = history.record(at, max(s for s, _ in windows))
                if saved and await uow.teams_send_limits.save(key, history, version, now):
                    await uow.commit()
                    return 0.0
        # others kept winning the race: they are sending to this conversation right now
        return 0.05

    async def hold_sends(self, conversation_id: str, seconds: float) -> None:
        """Teams said to wait (429 with Retry-After): no process sends there before then."""
        key = send_key(conversation_id)
        for _ in range(_RESERVE_ATTEMPTS):
            now = self._clock.now()
            async with self._uow() as uow:
                found = await uow.teams_send_limits.get(key)
                history, version = found if found is not None else (SendHistory(), None)
                held = history.hold(now.timestamp() + max(0.0, seconds))
                if await uow.teams_send_limits.save(key, held, version, now):
                    await uow.commit()
                    return
