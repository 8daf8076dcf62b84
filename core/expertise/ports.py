"""Ports of the expertise feature: storage, the search index, and what other features provide."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from core.expertise.model import (
    Answer,
    Deflection,
    DeflectionFigures,
    Endorsement,
    Evidence,
    ExpertProfile,
    Question,
    RoutingOffer,
    Skill,
)
from core.people.model import Person


class ExpertiseRepository(Protocol):
    # skills ---------------------------------------------------------------------------------
    async def list_skills(self, org_id: UUID) -> Sequence[Skill]: ...

    async def get_skill(self, org_id: UUID, skill_id: UUID) -> Skill | None: ...

    async def skill_keys(self, org_id: UUID) -> dict[str, UUID]:
        """Every alias key (and canonical name key) of the organisation → skill id."""
        ...

    async def add_skill(self, skill: Skill) -> None: ...

    async def set_skill(self, skill: Skill) -> None:
        """Store a changed name and alias set."""
        ...

    async def merge_skills(self, org_id: UUID, source_id: UUID, target_id: UUID) -> None:
        """Move every link (aliases, questions, declared skills, endorsements, evidence) of
        `source_id` to `target_id` and delete the source."""
        ...

    # profiles -------------------------------------------------------------------------------
    async def get_profile(self, org_id: UUID, person_id: UUID) -> ExpertProfile | None: ...

    async def get_profiles(
        self, org_id: UUID, person_ids: Collection[UUID]
    ) -> dict[UUID, ExpertProfile]: ...

    async def save_profile(self, profile: ExpertProfile) -> None: ...

    async def add_endorsement(self, endorsement: Endorsement) -> bool:
        """False when this endorser already endorsed this skill of this person."""
        ...

    async def endorsements(self, org_id: UUID, person_id: UUID) -> Sequence[Endorsement]: ...

    # evidence -------------------------------------------------------------------------------
    async def add_evidence(self, evidence: Evidence) -> bool:
        """False when evidence with the same (person, kind, ref) was already recorded."""
        ...

    async def evidence_of(self, org_id: UUID, person_id: UUID) -> Sequence[Evidence]: ...

    # questions and answers ------------------------------------------------------------------
    async def add_question(self, question: Question) -> None: ...

    async def get_question(self, org_id: UUID, question_id: UUID) -> Question | None: ...

    async def get_questions(
        self, org_id: UUID, question_ids: Collection[UUID]
    ) -> dict[UUID, Question]: ...

    async def update_question(self, question: Question) -> None: ...

    async def add_answer(self, answer: Answer) -> None: ...

    async def get_answer(self, org_id: UUID, answer_id: UUID) -> Answer | None: ...

    async def update_answer(self, answer: Answer) -> None: ...

    async def answers_to(self, org_id: UUID, question_id: UUID) -> Sequence[Answer]: ...

    async def answers_by(
        self, org_id: UUID, person_id: UUID, limit: int = 1000
    ) -> Sequence[Answer]: ...

    async def existing_source_keys(self, org_id: UUID, keys: Collection[str]) -> set[str]:
        """Which of these question source keys were imported before."""
        ...

    async def bulk_import(
        self,
        questions: Sequence[Question],
        answers: Sequence[Answer],
        evidence: Sequence[Evidence],
        people: Sequence[Person] = (),
        skills: Sequence[Skill] = (),
    ) -> None:
        """Insert a batch of imported history in one go (inside the caller's transaction):
        new people (with their source identity) and skills first, then questions and answers."""
        ...

    async def time_zones(self, org_id: UUID, person_ids: Collection[UUID]) -> dict[UUID, str]:
        """The IANA zone of each of these people (only people of this organisation)."""
        ...

    async def source_people(self, org_id: UUID, issuer: str) -> dict[str, UUID]:
        """Imported people of one source: source user id → person id."""
        ...

    # routing --------------------------------------------------------------------------------
    async def add_offer(self, offer: RoutingOffer) -> None: ...

    async def get_offer(self, org_id: UUID, offer_id: UUID) -> RoutingOffer | None: ...

    async def update_offer(self, offer: RoutingOffer) -> None: ...

    async def offers_for(self, org_id: UUID, question_id: UUID) -> Sequence[RoutingOffer]: ...

    async def due_offers(self, now: datetime, limit: int = 500) -> Sequence[RoutingOffer]: ...

    async def expire_offer(self, offer: RoutingOffer, when: datetime) -> bool:
        """Mark an offer expired if it is still `offered` (a conditional update): False when
        another worker's sweep or the expert got there first."""
        ...

    # deflection -----------------------------------------------------------------------------
    async def add_deflection(self, deflection: Deflection) -> None: ...

    async def deflection_figures(
        self, org_id: UUID, start: datetime, end: datetime
    ) -> DeflectionFigures:
        """Questions asked in [start, end) (imports left out): how many were deflected (and by
        what), routed and answered."""
        ...

    async def requests_since(
        self, org_id: UUID, person_ids: Collection[UUID], since: datetime
    ) -> dict[UUID, int]:
        """How many questions were offered to each of these people since `since`."""
        ...

    async def offers_to(
        self, org_id: UUID, expert_id: UUID, statuses: Collection[str], limit: int = 20
    ) -> Sequence[RoutingOffer]:
        """Offers made to one expert in these statuses, newest first."""
        ...


@dataclass(frozen=True)
class MatchQuery:
    text: str
    #: the skills the question is tagged with
    skill_ids: tuple[UUID, ...] = ()
    #: skills only named in its text: weaker evidence of what it is about than a tag
    named_skill_ids: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class SkillEvidence:
    """What one candidate has shown about one skill of the question."""

    skill_id: UUID
    answered: int = 0
    accepted: int = 0
    declared_level: int = 0
    endorsements: int = 0


@dataclass(frozen=True)
class Candidate:
    """One person the index finds relevant, with the evidence behind it."""

    person_id: UUID
    relevance: float
    text_score: float = 0.0
    tag_score: float = 0.0
    activity: float = 0.0
    answered: int = 0
    accepted: int = 0
    similar_answered: int = 0
    office_hours: int = 0
    rating: float | None = None
    resources: int = 0
    demos: int = 0
    skills: tuple[SkillEvidence, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """An organisation's skills: every alias key → skill id, and skill id → display name."""

    keys: Mapping[str, UUID]
    names: Mapping[UUID, str]


@dataclass(frozen=True)
class SimilarQuestion:
    question_id: UUID
    score: float


class TextEmbedder(Protocol):
    """Dense vectors for texts (the optional semantic signal); implemented by adapters so the
    core never imports a model runtime."""

    #: identifies the model: stored vectors of another model are recomputed
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        """One unit-length vector of `dim` floats per text."""
        ...


class ExpertIndex(Protocol):
    """Relevance of people to a question, from everything they did; a cache of the database."""

    async def candidates(
        self, org_id: UUID, query: MatchQuery, exclude: Collection[UUID], limit: int
    ) -> Sequence[Candidate]: ...

    async def similar_questions(
        self, org_id: UUID, text: str, limit: int, min_score: float
    ) -> Sequence[SimilarQuestion]: ...

    async def vocabulary(self, org_id: UUID) -> Vocabulary: ...

    async def source_labels(self, org_id: UUID, person_ids: Sequence[UUID]) -> dict[UUID, str]:
        """The source user id of imported people among these (others are left out)."""
        ...

    def forget(self, org_id: UUID) -> None:
        """Drop the cached index of an organisation (it rebuilds from the database)."""
        ...


@dataclass(frozen=True)
class WeekLoad:
    """The cheap availability summary of an organisation for one week: who hosts bookable
    office hours at all, and the booked session hours of each host that week."""

    hosts: frozenset[UUID] = frozenset()
    hours: Mapping[UUID, float] = field(default_factory=dict)


class AvailabilityLookup(Protocol):
    """What office hours know about people's time (implemented by the office-hours feature)."""

    async def week_load(self, org_id: UUID, week_start_utc: datetime) -> WeekLoad: ...

    async def next_free_slots(
        self, org_id: UUID, person_ids: list[UUID], after: datetime
    ) -> Mapping[UUID, datetime]: ...

    async def load_hours(
        self, org_id: UUID, person_ids: list[UUID], week_start_utc: datetime
    ) -> Mapping[UUID, float]: ...


class NoAvailability:
    """No office-hours information: nobody has a known free slot, nobody has session hours."""

    async def week_load(self, org_id: UUID, week_start_utc: datetime) -> WeekLoad:
        return WeekLoad()

    async def next_free_slots(
        self, org_id: UUID, person_ids: list[UUID], after: datetime
    ) -> Mapping[UUID, datetime]:
        return {}

    async def load_hours(
        self, org_id: UUID, person_ids: list[UUID], week_start_utc: datetime
    ) -> Mapping[UUID, float]:
        return {}


@dataclass(frozen=True)
class PersonFacts:
    """What the ranking blend needs to know about one person besides relevance."""

    person_id: UUID
    time_zone: str = "UTC"
    name: str = ""
    #: weekly caps and pause (declared skills are not loaded here)
    profile: ExpertProfile | None = None
    requests_this_week: int = 0
    hours_this_week: float = 0.0
    #: False when the person hosts no bookable office hours: no free slot to look for
    hosts_office_hours: bool = True


class ExpertFacts(Protocol):
    """Per-person facts for matching: time zone, caps and pause, this week's load."""

    async def facts(
        self,
        org_id: UUID,
        person_ids: Collection[UUID],
        now: datetime,
        availability: AvailabilityLookup,
    ) -> dict[UUID, PersonFacts]:
        """Facts of these people; people of other organisations (or unknown) are left out."""
        ...


@dataclass(frozen=True)
class ResourceHit:
    id: str
    title: str
    score: float
    url: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class ResourceSearch(Protocol):
    """Library resources similar to a question (implemented by the communities feature)."""

    async def search(self, org_id: UUID, text: str, limit: int) -> Sequence[ResourceHit]: ...


class NoResources:
    async def search(self, org_id: UUID, text: str, limit: int) -> Sequence[ResourceHit]:
        return []
