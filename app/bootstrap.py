"""The only place that names concrete classes: builds the services for one process."""

from __future__ import annotations

from adapters.busytimes import NoBusyTimes
from adapters.clock import SystemClock
from adapters.db.uow import DbUnitOfWork
from adapters.ics import IcalendarInvitations
from adapters.lms.keys import generate_tool_key
from adapters.lms.services import LmsServices
from app.settings import Settings
from core.clock import Clock
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
    return Services(
        clock=clock,
        uow=factory,
        people=PeopleService(factory, clock),
        office_hours=OfficeHoursService(factory, clock, NoBusyTimes(), IcalendarInvitations()),
        teams=TeamsService(factory, clock),
        lti=LtiService(
            factory,
            clock,
            PeopleService(factory, clock),
            generate_tool_key,
            settings.public_url,
            roster_source=LmsServices(factory),
        ),
        outbox=OutboxAdmin(factory, clock),
    )
