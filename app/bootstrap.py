"""The only place that names concrete classes: builds the services for one process."""

from __future__ import annotations

from adapters.clock import SystemClock
from adapters.db.uow import DbUnitOfWork
from adapters.ics import IcalendarInvitations
from adapters.lms.keys import generate_tool_key
from adapters.lms.services import LmsServices
from adapters.reports.communities import CommunityReportRenderer
from adapters.search.embedding import SemanticUnavailable, make_embedder
from adapters.search.expert_facts import CachedExpertFacts
from adapters.search.expert_index import SparseExpertIndex
from adapters.search.next_free import CachedNextFree
from app.communities_links import (
    OfficeHoursFigures,
    OfficeHoursSessions,
    SkillVocabularyTags,
)
from app.delivery import busy_times
from app.expertise_links import ExpertiseEvidence, LibraryResources
from app.settings import Settings
from core.clock import Clock
from core.communities.service import CommunitiesService
from core.expertise.service import ExpertiseService
from core.lti.service import LtiService
from core.officehours.service import OfficeHoursService
from core.outbox_admin import OutboxAdmin
from core.people.service import PeopleService
from core.ports import UnitOfWorkFactory
from core.services import Services
from core.teams.service import TeamsService


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    uow: UnitOfWorkFactory | None = None,
) -> Services:
    """Wire the core's services to their adapters. The database must be connected first."""
    clock = clock or SystemClock()
    factory: UnitOfWorkFactory = uow if uow is not None else DbUnitOfWork
    try:
        embedder = make_embedder(settings.semantic)
    except SemanticUnavailable as exc:
        raise SystemExit(str(exc)) from None
    expertise = ExpertiseService(
        factory, clock, SparseExpertIndex(clock, embedder=embedder), facts=CachedExpertFacts()
    )
    services = Services(
        clock=clock,
        uow=factory,
        people=PeopleService(factory, clock),
        office_hours=OfficeHoursService(
            factory, clock, busy_times(settings, factory), IcalendarInvitations()
        ),
        lti=LtiService(
            factory,
            clock,
            PeopleService(factory, clock),
            generate_tool_key,
            settings.public_url,
            roster_source=LmsServices(factory),
        ),
        teams=TeamsService(factory, clock),
        communities=CommunitiesService(
            factory,
            clock,
            SkillVocabularyTags(expertise),
            evidence=ExpertiseEvidence(expertise),
            renderer=CommunityReportRenderer(),
        ),
        outbox=OutboxAdmin(factory, clock),
        expertise=expertise,
    )
    services.communities.sessions = OfficeHoursSessions(services.office_hours, factory)
    services.communities.bookings = OfficeHoursFigures(services.office_hours, factory)
    services.communities.deflection = expertise
    # expertise reads office hours and the library; they are built above
    expertise.availability = CachedNextFree(services.office_hours)
    expertise.resources = LibraryResources(services.communities)
    return services
