"""Unit of work over one tortoise transaction."""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Any

from tortoise.transactions import in_transaction

from adapters.db.repositories.communities import (
    DbCohorts,
    DbCommunities,
    DbCommunityQuestions,
    DbLibrary,
)
from adapters.db.repositories.expertise import DbExpertise
from adapters.db.repositories.lti import DbLti
from adapters.db.repositories.officehours import DbBookings, DbOccurrences, DbOfficeHoursTypes
from adapters.db.repositories.outbox import DbCalendarLinks, DbOutbox
from adapters.db.repositories.people import DbApiKeys, DbOrganisations, DbPeople
from adapters.db.repositories.teams import DbConversationRefs, DbSendLimits
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
from core.people.ports import ApiKeyRepository, OrganisationRepository, PersonRepository
from core.ports import OutboxRepository
from core.teams.ports import ConversationRefRepository, SendLimitRepository


class _Rollback(Exception):
    """Raised into the transaction context to roll back a unit of work left uncommitted."""


class DbUnitOfWork:
    """`async with DbUnitOfWork() as uow: ...; await uow.commit()`; no commit → rollback."""

    def __init__(self) -> None:
        self.organisations: OrganisationRepository = DbOrganisations()
        self.people: PersonRepository = DbPeople()
        self.api_keys: ApiKeyRepository = DbApiKeys()
        self.outbox: OutboxRepository = DbOutbox()
        self.calendar_links: CalendarLinkRepository = DbCalendarLinks()
        self.office_hours_types: OfficeHoursTypeRepository = DbOfficeHoursTypes()
        self.occurrences: OccurrenceRepository = DbOccurrences()
        self.bookings: BookingRepository = DbBookings()
        self.lti: LtiRepository = DbLti()
        self.teams_conversations: ConversationRefRepository = DbConversationRefs()
        self.teams_send_limits: SendLimitRepository = DbSendLimits()
        self.communities: CommunityRepository = DbCommunities()
        self.community_posts: LibraryRepository = DbLibrary()
        self.community_questions: CommunityQuestionRepository = DbCommunityQuestions()
        self.cohorts: CohortRepository = DbCohorts()
        self.expertise: ExpertiseRepository = DbExpertise()
        self._tx: Any = None
        self._committed = False

    async def __aenter__(self) -> DbUnitOfWork:
        tx = in_transaction()
        try:
            await tx.__aenter__()
        except BaseException as exc:
            # when BEGIN fails (the server dropped the connection: a restart, a terminated
            # backend) tortoise keeps the connection checked out and leaves this task's
            # connection context on the dead transaction, so every later unit of work would
            # become a savepoint on it: hand both back before raising
            with contextlib.suppress(Exception):
                await tx.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        self._tx = tx
        self._committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tx, self._tx = self._tx, None
        if exc_type is None and self._committed:
            await tx.__aexit__(None, None, None)
        elif exc_type is None:
            await tx.__aexit__(_Rollback, _Rollback(), None)
        else:
            await tx.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        self._committed = True
