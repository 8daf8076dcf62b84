"""Ports of the communities feature: its repositories and what it needs from other features."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from core.communities.model import (
    Answer,
    CheckIn,
    Cohort,
    Comment,
    Community,
    Demo,
    Enrolment,
    Membership,
    PairingRound,
    Post,
    PostRevision,
    Question,
)
from core.expertise.model import DeflectionFigures


@dataclass(frozen=True)
class SearchStats:
    """Corpus figures BM25 needs for one search scope."""

    documents: int
    average_length: float
    document_frequency: Mapping[str, int]


@dataclass(frozen=True)
class ActivityData:
    """Lightweight facts for analytics, recognition and the digest (one period, one scope)."""

    questions: Sequence[Question] = ()
    answers: Sequence[Answer] = ()
    #: (post id, community id, author id, created_at, source question id, credited ids)
    posts: Sequence[tuple[UUID, UUID, UUID, datetime, UUID | None, tuple[UUID, ...]]] = ()
    #: (person id, created_at) of comments
    comments: Sequence[tuple[UUID, datetime]] = ()
    checkins: Sequence[CheckIn] = ()
    demos: Sequence[Demo] = ()
    cohorts: Sequence[Cohort] = ()
    enrolments: Sequence[Enrolment] = field(default_factory=tuple)


@dataclass(frozen=True)
class ReportFacts:
    """The few columns outcome analytics reads, as plain tuples so a year of a large
    organisation loads quickly. Ids are whatever the database returns: hashable, equal for
    equal ids, and `str()` gives the canonical UUID text."""

    #: (question id, community id, asker id, created_at, linked as a duplicate)
    questions: Sequence[tuple[Hashable, Hashable, Hashable, datetime, bool]] = ()
    #: (question id, the question's community id, author id, created_at, cites a post);
    #: every answer given from the period's start on, whatever the question's age
    answers: Sequence[tuple[Hashable, Hashable, Hashable, datetime, bool]] = ()
    #: (author id, created_at) of posts, comments and check-ins
    posts: Sequence[tuple[Hashable, datetime]] = ()
    comments: Sequence[tuple[Hashable, datetime]] = ()
    checkins: Sequence[tuple[Hashable, datetime]] = ()
    #: (person id, community id, given_at)
    demos: Sequence[tuple[Hashable, Hashable, datetime]] = ()
    #: (cohort id, starts_on, ends_on)
    cohorts: Sequence[tuple[Hashable, date, date]] = ()
    #: (cohort id, left, completed)
    enrolments: Sequence[tuple[Hashable, bool, bool]] = ()


class CommunityRepository(Protocol):
    async def add(self, community: Community) -> None: ...

    async def get(self, org_id: UUID, community_id: UUID) -> Community | None: ...

    async def get_by_name(self, org_id: UUID, name: str) -> Community | None: ...

    async def list(self, org_id: UUID, include_archived: bool = False) -> Sequence[Community]: ...

    async def update(self, community: Community) -> None: ...

    async def get_membership(self, community_id: UUID, person_id: UUID) -> Membership | None: ...

    async def save_membership(self, membership: Membership) -> None: ...

    async def memberships(
        self, community_id: UUID, status: str | None = None
    ) -> Sequence[Membership]: ...

    async def memberships_of(self, org_id: UUID, person_id: UUID) -> Sequence[Membership]: ...

    async def member_counts(self, org_id: UUID) -> Mapping[UUID, int]: ...

    async def activity(
        self,
        org_id: UUID,
        community_id: UUID | None,
        start: datetime | None,
        end: datetime | None,
    ) -> ActivityData: ...

    async def report_facts(
        self, org_id: UUID, community_id: UUID | None, start: datetime, end: datetime
    ) -> ReportFacts: ...


class LibraryRepository(Protocol):
    async def add(self, post: Post, terms: Mapping[str, int]) -> None: ...

    async def get(self, org_id: UUID, post_id: UUID) -> Post | None: ...

    async def get_many(self, org_id: UUID, post_ids: Sequence[UUID]) -> Sequence[Post]: ...

    async def update(self, post: Post, terms: Mapping[str, int] | None = None) -> None: ...

    async def list(
        self,
        org_id: UUID,
        community_ids: Sequence[UUID],
        *,
        kind: str | None = None,
        tag: str | None = None,
        featured: bool | None = None,
        include_archived: bool = False,
        since: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Sequence[Post]: ...

    async def search_stats(
        self, org_id: UUID, community_ids: Sequence[UUID], terms: Sequence[str]
    ) -> SearchStats:
        """Live (not archived) posts in scope, their mean length, and per-term post counts."""
        ...

    async def search_top(
        self,
        org_id: UUID,
        community_ids: Sequence[UUID],
        weights: Mapping[str, float],
        average_length: float,
        limit: int,
    ) -> Sequence[tuple[UUID, float]]:
        """The `limit` live posts with the highest BM25 sum (`core.communities.search.bm25_term`
        over `weights`), best first, with that sum."""
        ...

    async def add_revision(self, revision: PostRevision) -> None: ...

    async def revisions(self, post_id: UUID) -> Sequence[PostRevision]: ...

    async def set_vote(self, post_id: UUID, person_id: UUID, on: bool) -> bool:
        """Add or remove an upvote; True when something changed."""
        ...

    async def set_saved(self, post_id: UUID, person_id: UUID, on: bool) -> bool: ...

    async def saved_by(self, org_id: UUID, person_id: UUID) -> Sequence[UUID]: ...

    async def add_comment(self, comment: Comment) -> None: ...

    async def comments(self, post_id: UUID) -> Sequence[Comment]: ...


class CommunityQuestionRepository(Protocol):
    async def add(self, question: Question) -> None: ...

    async def get(self, org_id: UUID, question_id: UUID) -> Question | None: ...

    async def update(self, question: Question) -> None: ...

    async def list(
        self,
        org_id: UUID,
        community_ids: Sequence[UUID],
        status: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Sequence[Question]: ...

    async def add_answer(self, answer: Answer) -> None: ...

    async def get_answer(self, org_id: UUID, answer_id: UUID) -> Answer | None: ...

    async def update_answer(self, answer: Answer) -> None: ...

    async def answers(self, question_id: UUID) -> Sequence[Answer]: ...


class CohortRepository(Protocol):
    async def add(self, cohort: Cohort) -> None: ...

    async def get(self, org_id: UUID, cohort_id: UUID) -> Cohort | None: ...

    async def list(self, org_id: UUID, community_id: UUID) -> Sequence[Cohort]: ...

    async def save_enrolment(self, enrolment: Enrolment) -> None: ...

    async def enrolments(self, cohort_id: UUID) -> Sequence[Enrolment]: ...

    async def add_checkin(self, checkin: CheckIn) -> None: ...

    async def checkins(
        self, cohort_id: UUID, person_id: UUID | None = None
    ) -> Sequence[CheckIn]: ...

    async def add_demo(self, demo: Demo) -> None: ...

    async def demos(self, org_id: UUID, cohort_id: UUID) -> Sequence[Demo]: ...

    async def add_round(self, pairing: PairingRound) -> None: ...

    async def rounds(self, cohort_id: UUID) -> Sequence[PairingRound]: ...


# what communities need from other features ---------------------------------------------------
class TagVocabulary(Protocol):
    """The shared skill vocabulary: maps what people type to canonical tags."""

    async def normalise(self, org_id: UUID, tags: Sequence[str]) -> tuple[list[str], list[str]]:
        """(canonical tags in input order without duplicates, tags it does not know)."""
        ...


class EvidenceSink(Protocol):
    """Records evidence of expertise (resources written, demos given, accepted answers)."""

    async def record(
        self,
        org_id: UUID,
        person_id: UUID,
        kind: str,
        reference: str,
        tags: Sequence[str],
        at: datetime,
    ) -> None: ...


@dataclass(frozen=True)
class BookingFigures:
    bookings: int = 0
    attended: int = 0
    #: hosted hours per expert in the period
    hosted_hours: Mapping[UUID, float] = field(default_factory=dict)


class DeflectionStats(Protocol):
    """Expert questions asked in a period and how many the askers resolved from reused answers
    or resources (implemented by the expertise feature), for the organisation's report."""

    async def deflection_figures(
        self, org_id: UUID, start: datetime | None = None, end: datetime | None = None
    ) -> DeflectionFigures: ...


class BookingStats(Protocol):
    """Bookings and attendance from office hours, for outcome analytics."""

    async def figures(
        self, org_id: UUID, host_ids: Sequence[UUID] | None, start: datetime, end: datetime
    ) -> BookingFigures: ...


@dataclass(frozen=True)
class SessionSeat:
    """One sign-up for a community session, as the booking machinery keeps it."""

    booking_id: UUID
    person_id: UUID
    start: datetime
    #: confirmed | waitlisted | pending | cancelled | declined
    status: str
    note: str
    attendance: str | None = None
    #: watches the session without taking one of its (demo) seats
    audience: bool = False


class SessionBooking(Protocol):
    """Recurring community sessions (show-and-tell) on the office hours booking machinery:
    capacity, waitlist and `.ics` invitations come from there."""

    async def create_weekly(
        self,
        org_id: UUID,
        community_id: UUID,
        host_id: UUID,
        title: str,
        description: str,
        weekday: int,
        start: str,
        minutes: int,
        time_zone: str,
        capacity: int,
    ) -> UUID: ...

    async def session_ids(self, org_id: UUID, community_id: UUID) -> Sequence[UUID]: ...

    async def next_starts(
        self, org_id: UUID, session_id: UUID, after: datetime, count: int
    ) -> Sequence[datetime]: ...

    async def sign_up(
        self, org_id: UUID, session_id: UUID, person_id: UUID, start: datetime, note: str
    ) -> SessionSeat: ...

    async def attend(
        self, org_id: UUID, session_id: UUID, person_id: UUID, start: datetime
    ) -> SessionSeat:
        """An audience place at one occurrence (confirmed, no seat taken); asking again gives
        the place already held, and a confirmed presenter's own seat stands for it."""
        ...

    async def leave(
        self, org_id: UUID, session_id: UUID, person_id: UUID, start: datetime
    ) -> SessionSeat | None:
        """Give up the person's audience place at one occurrence; None when they hold none."""
        ...

    async def seats(self, org_id: UUID, session_id: UUID, start: datetime) -> Sequence[SessionSeat]:
        """Confirmed and waitlisted sign-ups of one occurrence, in order (audience included)."""
        ...

    async def mark_attendance(self, org_id: UUID, booking_id: UUID, attended: bool) -> None: ...

    async def invitation(self, org_id: UUID, booking_id: UUID) -> bytes: ...
