"""Ports shared by every feature: the unit of work and the repositories it exposes.

Each feature declares its own repository protocol next to its model (`core/<feature>/ports.py`);
the unit of work lists them so one use case can change several aggregates atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol
from uuid import UUID

from core.calendar import CalendarLinkRepository
from core.communities.ports import (
    CohortRepository,
    CommunityQuestionRepository,
    CommunityRepository,
    LibraryRepository,
)
from core.expertise.ports import ExpertiseRepository
from core.lti.ports import LtiRepository
from core.officehours.ports import (
    BookingRepository,
    OccurrenceRepository,
    OfficeHoursTypeRepository,
)
from core.outbox import OutboxMessage
from core.people.ports import ApiKeyRepository, OrganisationRepository, PersonRepository
from core.teams.ports import ConversationRefRepository, SendLimitRepository


class OutboxRepository(Protocol):
    async def add(self, message: OutboxMessage) -> None: ...

    async def list(
        self, organisation_id: UUID | None = None, status: str | None = None, limit: int = 100
    ) -> Sequence[OutboxMessage]: ...

    async def get(self, message_id: UUID) -> OutboxMessage | None: ...

    async def update(self, message: OutboxMessage) -> None: ...

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int, kinds: Sequence[str] | None = None
    ) -> Sequence[OutboxMessage]: ...

    async def finish(self, message: OutboxMessage) -> bool: ...

    async def finish_many(self, messages: Sequence[OutboxMessage]) -> Sequence[bool]: ...

    async def counts(self) -> dict[str, int]: ...

    async def last_result_value(
        self, aggregate_type: str, aggregate_id: str, key: str
    ) -> str | None: ...


class UnitOfWork(Protocol):
    """One transaction. Use as `async with uow_factory() as uow: ...; await uow.commit()`;
    leaving without `commit()` rolls everything back."""

    organisations: OrganisationRepository
    people: PersonRepository
    api_keys: ApiKeyRepository
    outbox: OutboxRepository
    calendar_links: CalendarLinkRepository
    office_hours_types: OfficeHoursTypeRepository
    occurrences: OccurrenceRepository
    bookings: BookingRepository
    lti: LtiRepository
    teams_conversations: ConversationRefRepository
    teams_send_limits: SendLimitRepository
    communities: CommunityRepository
    community_posts: LibraryRepository
    community_questions: CommunityQuestionRepository
    cohorts: CohortRepository
    expertise: ExpertiseRepository

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
