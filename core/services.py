"""The use-case services one app instance exposes to its front doors (bot, LTI, API).

`app/bootstrap.py` builds it; front doors receive it and never construct services themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import Clock
from core.communities.service import CommunitiesService
from core.expertise.service import ExpertiseService
from core.lti.service import LtiService
from core.officehours.service import OfficeHoursService
from core.outbox_admin import OutboxAdmin
from core.people.service import PeopleService
from core.ports import UnitOfWorkFactory
from core.teams.service import TeamsService


@dataclass
class Services:
    clock: Clock
    uow: UnitOfWorkFactory
    people: PeopleService
    office_hours: OfficeHoursService
    lti: LtiService
    teams: TeamsService
    communities: CommunitiesService
    outbox: OutboxAdmin
    expertise: ExpertiseService
