"""Use cases of communities of practice; one unit of work each.

Who may do what:
- anyone in the organisation creates a community (and owns it) and reads open communities;
- approval-only communities show their content to active members only;
- people join and leave by their own choice (approval-only joins wait for an owner or
  facilitator); nobody is enrolled by someone else;
- members post, comment, vote, save, ask and answer; authors edit their own posts;
- owners feature and archive posts, change settings and roles, turn the leaderboard off;
- owners and facilitators approve joins, run cohorts, pair people and record demos.

All text is stored as written; front doors that render HTML or cards must escape it.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from core.clock import Clock
from core.communities import analytics, search
from core.communities.errors import (
    AlreadyAccepted,
    AlreadyPromoted,
    AnswerNotFound,
    CohortClosed,
    CohortNotFound,
    CommunityArchived,
    CommunityNameTaken,
    CommunityNotFound,
    HostsOnly,
    LeaderboardOff,
    NotAccepted,
    NotAMember,
    NotEnrolled,
    NotYours,
    OwnersOnly,
    PostNotFound,
    QuestionNotFound,
    UnknownTags,
)
from core.communities.model import (
    BODY_MAX,
    SHORT_MAX,
    TAGS_MAX,
    TITLE_MAX,
    Answer,
    CheckIn,
    Cohort,
    Comment,
    Community,
    Demo,
    Enrolment,
    Membership,
    MemberStatus,
    PairingRound,
    Post,
    PostRevision,
    Question,
    Recognition,
    clean_channel,
    clean_course_ids,
    clean_kind,
    clean_name,
    clean_text,
    clean_url,
    clean_visibility,
)
from core.communities.pairing import pair_up, pairs_of
from core.communities.ports import (
    BookingStats,
    DeflectionStats,
    EvidenceSink,
    SessionBooking,
    SessionSeat,
    TagVocabulary,
)
from core.communities.teams_channel import channel_display_name, clean_team_id
from core.errors import Conflict, InvalidInput, PersonNotFound
from core.ids import new_id
from core.outbox import OutboxMessage, OutboxTopic
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.timezones import zone

log = logging.getLogger(__name__)

SEARCH_LIMIT_MAX = 50
QUERY_MAX = 500


@dataclass(frozen=True)
class CommunityView:
    community: Community
    members: int
    #: the viewer's own membership, if any
    membership: Membership | None


@dataclass(frozen=True)
class SearchResult:
    post: Post
    score: float
    #: 0..1, how well the post covers the query terms (for "answer reuse first")
    similarity: float


@dataclass(frozen=True)
class QuestionView:
    question: Question
    answers: tuple[Answer, ...]


@dataclass(frozen=True)
class Progress:
    person_id: UUID
    checkins: int
    demos: int
    completed_at: datetime | None


@dataclass(frozen=True)
class CohortView:
    cohort: Cohort
    progress: tuple[Progress, ...]
    rounds: tuple[PairingRound, ...]


@dataclass(frozen=True)
class Agenda:
    """One show-and-tell: who demos what (in sign-up order), who waits for a slot and who
    comes to watch (in the order they signed up; presenters are not repeated there)."""

    community_id: UUID
    session_id: UUID
    start: datetime
    demos: tuple[SessionSeat, ...]
    waitlist: tuple[SessionSeat, ...]
    audience: tuple[SessionSeat, ...] = ()


@dataclass(frozen=True)
class UpcomingItem:
    kind: str
    title: str
    community_id: UUID
    at: datetime


@dataclass(frozen=True)
class Digest:
    person_id: UUID
    week_start: datetime
    week_end: datetime
    top_resources: tuple[Post, ...] = ()
    open_questions: tuple[Question, ...] = ()
    upcoming: tuple[UpcomingItem, ...] = ()
    skills: tuple[str, ...] = ()
    #: communities left out because the person paused their notifications
    paused_community_ids: tuple[UUID, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not (self.top_resources or self.open_questions or self.upcoming)


class CommunitiesService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        tags: TagVocabulary,
        evidence: EvidenceSink | None = None,
        bookings: BookingStats | None = None,
        renderer: analytics.ReportRenderer | None = None,
        sessions: SessionBooking | None = None,
    ) -> None:
        self._renderer = renderer
        #: show-and-tell sessions; app/ wires office hours in after both services exist
        self.sessions = sessions
        self._uow = uow
        self._clock = clock
        self._tags = tags
        self._evidence = evidence
        #: bookings and attendance for analytics; app/ wires office hours in
        self.bookings = bookings
        #: expert questions deflected by reuse, for organisation reports; app/ wires it in
        self.deflection: DeflectionStats | None = None

    def with_clock(self, clock: Clock) -> CommunitiesService:
        """The same service on another clock: for simulations and back-dated demo data."""
        twin = CommunitiesService(
            self._uow,
            clock,
            self._tags,
            self._evidence,
            self.bookings,
            self._renderer,
            self.sessions,
        )
        twin.deflection = self.deflection
        return twin

    # helpers -----------------------------------------------------------------------------
    async def _person(self, uow: UnitOfWork, org_id: UUID, person_id: UUID) -> None:
        if await uow.people.get(org_id, person_id) is None:
            raise PersonNotFound("no such person in this organisation")

    async def _community(self, uow: UnitOfWork, org_id: UUID, community_id: UUID) -> Community:
        community = await uow.communities.get(org_id, community_id)
        if community is None:
            raise CommunityNotFound("no such community in this organisation")
        return community

    async def _can_read(
        self, uow: UnitOfWork, community: Community, viewer_id: UUID | None
    ) -> Membership | None:
        """Open communities are readable by everyone in the organisation; approval-only ones by
        their active members. `viewer_id=None` is the organisation's own automation (API key)."""
        if viewer_id is None:
            return None
        membership = await uow.communities.get_membership(community.id, viewer_id)
        if community.visibility == "approval" and not (membership and membership.active):
            await self._person(uow, community.organisation_id, viewer_id)
            raise NotAMember("this community shows its content to members only")
        return membership

    async def _member(self, uow: UnitOfWork, community: Community, person_id: UUID) -> Membership:
        """An active member allowed to contribute; archived communities take no contributions."""
        membership = await uow.communities.get_membership(community.id, person_id)
        if membership is None or not membership.active:
            await self._person(uow, community.organisation_id, person_id)
            raise NotAMember("join the community first")
        if community.archived:
            raise CommunityArchived("this community is archived")
        return membership

    async def _host(self, uow: UnitOfWork, community: Community, person_id: UUID) -> Membership:
        membership = await self._member(uow, community, person_id)
        if not membership.hosts:
            raise HostsOnly("only the community's owners and facilitators can do that")
        return membership

    async def _owner(self, uow: UnitOfWork, community: Community, person_id: UUID) -> Membership:
        membership = await uow.communities.get_membership(community.id, person_id)
        if membership is None or not membership.owns:
            await self._person(uow, community.organisation_id, person_id)
            raise OwnersOnly("only the community's owners can do that")
        return membership

    async def _clean_tags(self, org_id: UUID, tags: object) -> tuple[str, ...]:
        if tags is None:
            return ()
        if isinstance(tags, str) or not isinstance(tags, Sequence):
            raise InvalidInput("tags are a list of texts")
        if not all(isinstance(t, str) for t in tags):
            raise InvalidInput("tags are a list of texts")
        if len(tags) > TAGS_MAX:
            raise InvalidInput(f"at most {TAGS_MAX} tags")
        known, unknown = await self._tags.normalise(org_id, list(tags))
        if unknown:
            raise UnknownTags(
                "not in the skill vocabulary: " + ", ".join(repr(t) for t in unknown),
                unknown=unknown,
            )
        return tuple(known)

    async def _readable_ids(
        self, uow: UnitOfWork, org_id: UUID, viewer_id: UUID | None, open_only: bool = False
    ) -> list[UUID]:
        communities = await uow.communities.list(org_id)
        if open_only:
            return [c.id for c in communities if c.visibility == "open"]
        if viewer_id is None:
            return [c.id for c in communities]
        mine = {
            m.community_id
            for m in await uow.communities.memberships_of(org_id, viewer_id)
            if m.active
        }
        return [c.id for c in communities if c.visibility == "open" or c.id in mine]

    async def _record_evidence(
        self, org_id: UUID, person_ids: Sequence[UUID], kind: str, ref: str, tags: Sequence[str]
    ) -> None:
        """Tell the expertise feature; its failure never undoes what already happened here."""
        if self._evidence is None:
            return
        for person in dict.fromkeys(person_ids):
            try:
                await self._evidence.record(org_id, person, kind, ref, tags, self._clock.now())
            except Exception:  # evidence is best effort by design
                log.warning("recording %s evidence for %s failed", kind, person, exc_info=True)

    # communities -------------------------------------------------------------------------
    async def create_community(
        self,
        org_id: UUID,
        actor_id: UUID,
        name: str,
        purpose: str = "",
        topics: Sequence[str] = (),
        visibility: str = "open",
        time_zone: str = "UTC",
        lms_course_ids: Sequence[str] = (),
        teams_channel_id: str | None = None,
    ) -> Community:
        now = self._clock.now()
        community = Community(
            id=new_id(),
            organisation_id=org_id,
            name=clean_name(name),
            purpose=clean_text(purpose, "the purpose", SHORT_MAX * 4, required=False),
            topics=await self._clean_tags(org_id, topics),
            visibility=clean_visibility(visibility),
            created_by=actor_id,
            created_at=now,
            time_zone=_zone_name(time_zone),
            lms_course_ids=clean_course_ids(list(lms_course_ids)),
            teams_channel_id=clean_channel(teams_channel_id),
        )
        async with self._uow() as uow:
            await self._person(uow, org_id, actor_id)
            if await uow.communities.get_by_name(org_id, community.name):
                raise CommunityNameTaken(f"a community called {community.name!r} exists already")
            await uow.communities.add(community)
            await uow.communities.save_membership(
                Membership(community.id, org_id, actor_id, "owner", "active", now)
            )
            await uow.commit()
        return community

    async def update_community(
        self, org_id: UUID, community_id: UUID, actor_id: UUID, **changes: Any
    ) -> Community:
        """Owners change name, purpose, topics, visibility, zone, links, the leaderboard switch,
        the expert weekly limit, or archive the community."""
        allowed = {
            "name",
            "purpose",
            "topics",
            "visibility",
            "time_zone",
            "lms_course_ids",
            "teams_channel_id",
            "leaderboard_enabled",
            "expert_weekly_limit_hours",
            "archived",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput("cannot change: " + ", ".join(sorted(unknown)))
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._owner(uow, community, actor_id)
            if "name" in changes:
                name = clean_name(changes["name"])
                other = await uow.communities.get_by_name(org_id, name)
                if other and other.id != community.id:
                    raise CommunityNameTaken(f"a community called {name!r} exists already")
                community.name = name
            if "purpose" in changes:
                community.purpose = clean_text(
                    changes["purpose"], "the purpose", SHORT_MAX * 4, required=False
                )
            if "topics" in changes:
                community.topics = await self._clean_tags(org_id, changes["topics"])
            if "visibility" in changes:
                community.visibility = clean_visibility(changes["visibility"])
            if "time_zone" in changes:
                community.time_zone = _zone_name(changes["time_zone"])
            if "lms_course_ids" in changes:
                community.lms_course_ids = clean_course_ids(changes["lms_course_ids"])
            if "teams_channel_id" in changes:
                channel = clean_channel(changes["teams_channel_id"])
                if channel != community.teams_channel_id:
                    community.teams_channel_url = None
                community.teams_channel_id = channel
            for flag in ("leaderboard_enabled", "archived"):
                if flag in changes:
                    if not isinstance(changes[flag], bool):
                        raise InvalidInput(f"{flag} is true or false")
                    setattr(community, flag, changes[flag])
            if "expert_weekly_limit_hours" in changes:
                limit = changes["expert_weekly_limit_hours"]
                if (
                    isinstance(limit, bool)
                    or not isinstance(limit, int | float)
                    or not 0 < limit <= 60
                ):
                    raise InvalidInput("the expert weekly limit is between 0 and 60 hours")
                community.expert_weekly_limit_hours = float(limit)
            await uow.communities.update(community)
            await uow.commit()
        return community

    async def request_teams_channel(
        self,
        org_id: UUID,
        community_id: UUID,
        actor_id: UUID | None,
        team_id: str,
        display_name: str | None = None,
    ) -> OutboxMessage:
        """Ask for a channel for the community in a Teams team: an outbox row the worker
        delivers through Graph (idempotent: a retry finds the channel by name rather than
        making a second). Owners and facilitators ask; `actor_id=None` is the organisation's
        admin (API key, CLI)."""
        team = clean_team_id(team_id)
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            if actor_id is not None:
                await self._host(uow, community, actor_id)
            if community.archived:
                raise CommunityArchived("this community is archived")
            if community.teams_channel_id:
                raise Conflict("this community already has a Teams channel")
            message = OutboxMessage(
                id=new_id(),
                organisation_id=org_id,
                kind=OutboxTopic.TEAMS_CHANNEL,
                aggregate_type="community",
                aggregate_id=str(community.id),
                payload={
                    "community_id": str(community.id),
                    "team_id": team,
                    "display_name": channel_display_name(display_name or community.name),
                    "description": community.purpose[:1024],
                },
                created_at=self._clock.now(),
            )
            await uow.outbox.add(message)
            await uow.commit()
        return message

    async def record_teams_channel(
        self, org_id: UUID, community_id: UUID, channel_id: str, web_url: str
    ) -> None:
        """Keep the channel Graph created (the worker calls this after delivering)."""
        async with self._uow() as uow:
            community = await uow.communities.get(org_id, community_id)
            if community is None:
                return
            community.teams_channel_id = clean_channel(channel_id)
            community.teams_channel_url = web_url or None
            await uow.communities.update(community)
            await uow.commit()

    async def list_communities(
        self, org_id: UUID, viewer_id: UUID | None = None, include_archived: bool = False
    ) -> list[CommunityView]:
        """Every community of the organisation is listed (approval-only ones show their name and
        purpose so people can ask to join); content stays behind membership."""
        async with self._uow() as uow:
            if viewer_id is not None:
                await self._person(uow, org_id, viewer_id)
            communities = await uow.communities.list(org_id, include_archived=include_archived)
            counts = await uow.communities.member_counts(org_id)
            mine = (
                {m.community_id: m for m in await uow.communities.memberships_of(org_id, viewer_id)}
                if viewer_id
                else {}
            )
        return [CommunityView(c, counts.get(c.id, 0), mine.get(c.id)) for c in communities]

    async def get_community(
        self, org_id: UUID, community_id: UUID, viewer_id: UUID | None = None
    ) -> CommunityView:
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            membership = None
            if viewer_id is not None:
                await self._person(uow, org_id, viewer_id)
                membership = await uow.communities.get_membership(community_id, viewer_id)
            counts = await uow.communities.member_counts(org_id)
        return CommunityView(community, counts.get(community_id, 0), membership)

    async def join(self, org_id: UUID, community_id: UUID, person_id: UUID) -> Membership:
        """Join by one's own choice: active at once in open communities, pending approval in
        approval-only ones. Joining again is harmless."""
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._person(uow, org_id, person_id)
            if community.archived:
                raise CommunityArchived("this community is archived")
            membership = await uow.communities.get_membership(community_id, person_id)
            if membership is not None and membership.status in ("active", "pending"):
                return membership
            status: MemberStatus = "active" if community.visibility == "open" else "pending"
            membership = Membership(
                community_id, org_id, person_id, "member", status, self._clock.now()
            )
            await uow.communities.save_membership(membership)
            await uow.commit()
        return membership

    async def leave(self, org_id: UUID, community_id: UUID, person_id: UUID) -> Membership:
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            membership = await uow.communities.get_membership(community.id, person_id)
            if membership is None or membership.status == "left":
                await self._person(uow, org_id, person_id)
                raise NotAMember("you are not a member of this community")
            if membership.owns:
                owners = [
                    m
                    for m in await uow.communities.memberships(community.id, "active")
                    if m.role == "owner"
                ]
                if len(owners) == 1:
                    raise Conflict("hand ownership to someone else before leaving")
            membership.status = "left"
            membership.role = "member"
            await uow.communities.save_membership(membership)
            await uow.commit()
        return membership

    async def decide_join(
        self, org_id: UUID, community_id: UUID, actor_id: UUID, person_id: UUID, approve: bool
    ) -> Membership:
        """Owners and facilitators approve or decline a pending request to join."""
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._host(uow, community, actor_id)
            membership = await uow.communities.get_membership(community.id, person_id)
            if membership is None or membership.status != "pending":
                raise Conflict("there is no pending request from that person")
            membership.status = "active" if approve else "left"
            await uow.communities.save_membership(membership)
            await uow.commit()
        return membership

    async def set_role(
        self, org_id: UUID, community_id: UUID, actor_id: UUID, person_id: UUID, role: str
    ) -> Membership:
        """Owners make active members facilitators or owners (or members again)."""
        if role not in ("owner", "facilitator", "member"):
            raise InvalidInput("a role is owner, facilitator or member")
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._owner(uow, community, actor_id)
            membership = await uow.communities.get_membership(community.id, person_id)
            if membership is None or not membership.active:
                raise NotAMember("only active members can be given a role; they join themselves")
            if membership.role == "owner" and role != "owner":
                owners = [
                    m
                    for m in await uow.communities.memberships(community.id, "active")
                    if m.role == "owner"
                ]
                if len(owners) == 1:
                    raise Conflict("a community keeps at least one owner")
            membership.role = role  # type: ignore[assignment]
            await uow.communities.save_membership(membership)
            await uow.commit()
        return membership

    async def set_notifications(
        self, org_id: UUID, community_id: UUID, person_id: UUID, paused: bool
    ) -> Membership:
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            membership = await uow.communities.get_membership(community.id, person_id)
            if membership is None or membership.status == "left":
                await self._person(uow, org_id, person_id)
                raise NotAMember("you are not a member of this community")
            membership.notifications_paused = paused
            await uow.communities.save_membership(membership)
            await uow.commit()
        return membership

    async def members(
        self, org_id: UUID, community_id: UUID, viewer_id: UUID | None = None
    ) -> list[Membership]:
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._can_read(uow, community, viewer_id)
            return list(await uow.communities.memberships(community.id))

    # library -----------------------------------------------------------------------------
    async def create_post(
        self,
        org_id: UUID,
        community_id: UUID,
        author_id: UUID,
        kind: str,
        title: str,
        body: str = "",
        tags: Sequence[str] = (),
        tool: str = "",
        prompt_text: str = "",
        example_output: str = "",
        saved: str = "",
        url: str = "",
    ) -> Post:
        now = self._clock.now()
        post = Post(
            id=new_id(),
            organisation_id=org_id,
            community_id=community_id,
            author_id=author_id,
            kind=clean_kind(kind),
            title=clean_text(title, "the title", TITLE_MAX),
            body="",
            tags=await self._clean_tags(org_id, tags),
            created_at=now,
            updated_at=now,
        )
        _fill_content(
            post,
            {
                "body": body,
                "tool": tool,
                "prompt_text": prompt_text,
                "example_output": example_output,
                "saved": saved,
                "url": url,
            },
        )
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._member(uow, community, author_id)
            await uow.community_posts.add(post, search.term_frequencies(post.searchable_text()))
            await uow.commit()
        await self._record_evidence(
            org_id, [author_id], "resource_written", f"post:{post.id}", post.tags
        )
        return post

    async def _post(
        self, uow: UnitOfWork, org_id: UUID, post_id: UUID, viewer_id: UUID | None
    ) -> tuple[Post, Community]:
        post = await uow.community_posts.get(org_id, post_id)
        if post is None:
            raise PostNotFound("no such post in this organisation")
        community = await self._community(uow, org_id, post.community_id)
        await self._can_read(uow, community, viewer_id)
        return post, community

    async def get_post(self, org_id: UUID, post_id: UUID, viewer_id: UUID | None = None) -> Post:
        async with self._uow() as uow:
            post, _ = await self._post(uow, org_id, post_id, viewer_id)
            if post.archived and viewer_id is not None and viewer_id != post.author_id:
                membership = await uow.communities.get_membership(post.community_id, viewer_id)
                if not (membership and membership.owns):
                    raise PostNotFound("this post was archived")
        return post

    async def edit_post(self, org_id: UUID, post_id: UUID, editor_id: UUID, **changes: Any) -> Post:
        """The author edits; the previous content is kept in the edit history."""
        allowed = {"title", "body", "tags", "tool", "prompt_text", "example_output", "saved", "url"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput("cannot change: " + ", ".join(sorted(unknown)))
        async with self._uow() as uow:
            post, community = await self._post(uow, org_id, post_id, editor_id)
            await self._member(uow, community, editor_id)
            if post.author_id != editor_id:
                raise NotYours("only the author can edit a post")
            previous = post.content()
            if "title" in changes:
                post.title = clean_text(changes["title"], "the title", TITLE_MAX)
            if "tags" in changes:
                post.tags = await self._clean_tags(org_id, changes["tags"])
            content = {k: v for k, v in changes.items() if k not in ("title", "tags")}
            merged = {**previous, **content}
            merged.pop("title")
            merged.pop("tags")
            _fill_content(post, merged)
            if post.content() == previous:
                return post
            post.updated_at = self._clock.now()
            await uow.community_posts.add_revision(
                PostRevision(new_id(), post.id, editor_id, post.updated_at, previous)
            )
            await uow.community_posts.update(post, search.term_frequencies(post.searchable_text()))
            await uow.commit()
        return post

    async def history(
        self, org_id: UUID, post_id: UUID, viewer_id: UUID | None = None
    ) -> list[PostRevision]:
        async with self._uow() as uow:
            post, _ = await self._post(uow, org_id, post_id, viewer_id)
            return list(await uow.community_posts.revisions(post.id))

    async def set_featured(
        self, org_id: UUID, post_id: UUID, actor_id: UUID, featured: bool
    ) -> Post:
        async with self._uow() as uow:
            post, community = await self._post(uow, org_id, post_id, actor_id)
            await self._owner(uow, community, actor_id)
            post.featured = featured
            await uow.community_posts.update(post)
            await uow.commit()
        return post

    async def set_archived(
        self, org_id: UUID, post_id: UUID, actor_id: UUID, archived: bool
    ) -> Post:
        """Owners archive a post: it leaves lists and search but stays in history."""
        async with self._uow() as uow:
            post, community = await self._post(uow, org_id, post_id, actor_id)
            await self._owner(uow, community, actor_id)
            post.archived = archived
            if archived:
                post.featured = False
            await uow.community_posts.update(post)
            await uow.commit()
        return post

    async def list_posts(
        self,
        org_id: UUID,
        community_id: UUID,
        viewer_id: UUID | None = None,
        *,
        kind: str | None = None,
        tag: str | None = None,
        featured: bool | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> list[Post]:
        if kind is not None:
            clean_kind(kind)
        if not 1 <= limit <= 200 or offset < 0:
            raise InvalidInput("limit is 1–200 and offset is not negative")
        tag_filter = None
        if tag:
            known, unknown = await self._tags.normalise(org_id, [tag])
            if unknown:
                return []
            tag_filter = known[0]
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._can_read(uow, community, viewer_id)
            return list(
                await uow.community_posts.list(
                    org_id,
                    [community.id],
                    kind=kind,
                    tag=tag_filter,
                    featured=featured,
                    offset=offset,
                    limit=limit,
                )
            )

    async def vote(self, org_id: UUID, post_id: UUID, person_id: UUID, on: bool = True) -> Post:
        async with self._uow() as uow:
            post, community = await self._post(uow, org_id, post_id, person_id)
            await self._member(uow, community, person_id)
            if post.author_id == person_id:
                raise Conflict("you cannot upvote your own post")
            if await uow.community_posts.set_vote(post.id, person_id, on):
                post.upvotes = max(0, post.upvotes + (1 if on else -1))
                await uow.community_posts.update(post)
            await uow.commit()
        return post

    async def save_for_later(
        self, org_id: UUID, post_id: UUID, person_id: UUID, on: bool = True
    ) -> bool:
        async with self._uow() as uow:
            post, _ = await self._post(uow, org_id, post_id, person_id)
            await self._person(uow, org_id, person_id)
            await uow.community_posts.set_saved(post.id, person_id, on)
            await uow.commit()
        return on

    async def saved_posts(self, org_id: UUID, person_id: UUID) -> list[Post]:
        """What the person saved, still readable by them now (left communities drop out)."""
        async with self._uow() as uow:
            await self._person(uow, org_id, person_id)
            ids = await uow.community_posts.saved_by(org_id, person_id)
            readable = set(await self._readable_ids(uow, org_id, person_id))
            posts = await uow.community_posts.get_many(org_id, list(ids))
        return [p for p in posts if p.community_id in readable and not p.archived]

    async def comment(self, org_id: UUID, post_id: UUID, author_id: UUID, body: str) -> Comment:
        text = clean_text(body, "the comment", BODY_MAX // 4)
        async with self._uow() as uow:
            post, community = await self._post(uow, org_id, post_id, author_id)
            await self._member(uow, community, author_id)
            comment = Comment(new_id(), org_id, post.id, author_id, text, self._clock.now())
            await uow.community_posts.add_comment(comment)
            post.comment_count += 1
            await uow.community_posts.update(post)
            await uow.commit()
        return comment

    async def comments(
        self, org_id: UUID, post_id: UUID, viewer_id: UUID | None = None
    ) -> list[Comment]:
        async with self._uow() as uow:
            post, _ = await self._post(uow, org_id, post_id, viewer_id)
            return list(await uow.community_posts.comments(post.id))

    async def try_prompt(self, org_id: UUID, post_id: UUID, person_id: UUID) -> dict[str, str]:
        """A ready-to-paste copy of a prompt, counted so authors see it is used."""
        async with self._uow() as uow:
            post, _ = await self._post(uow, org_id, post_id, person_id)
            await self._person(uow, org_id, person_id)
            if post.kind != "prompt":
                raise InvalidInput("only prompts can be tried")
            post.tries += 1
            await uow.community_posts.update(post)
            await uow.commit()
        return {
            "post_id": str(post.id),
            "tool": post.tool,
            "prompt_text": post.prompt_text,
            "example_output": post.example_output,
            "saved": post.saved,
        }

    async def search(
        self,
        org_id: UUID,
        text: str,
        viewer_id: UUID | None = None,
        community_id: UUID | None = None,
        limit: int = 20,
    ) -> list[SearchResult]:
        """Full-text search over the library the viewer may read, by relevance then recency."""
        async with self._uow() as uow:
            if viewer_id is not None:
                await self._person(uow, org_id, viewer_id)
            if community_id is not None:
                community = await self._community(uow, org_id, community_id)
                await self._can_read(uow, community, viewer_id)
                scope = [] if community.archived else [community.id]
            else:
                scope = await self._readable_ids(uow, org_id, viewer_id)
            return await self._search(uow, org_id, scope, text, limit)

    async def search_resources(self, org_id: UUID, text: str, limit: int = 5) -> list[SearchResult]:
        """Library posts of open communities matching `text`, each with a 0..1 similarity: what
        an asker should see before their question goes to an expert (answer reuse first)."""
        text = (text or "")[:QUERY_MAX]
        if not text.strip():
            return []
        async with self._uow() as uow:
            scope = await self._readable_ids(uow, org_id, None, open_only=True)
            return await self._search(uow, org_id, scope, text, min(limit, SEARCH_LIMIT_MAX))

    async def _search(
        self, uow: UnitOfWork, org_id: UUID, scope: list[UUID], text: str, limit: int
    ) -> list[SearchResult]:
        query = clean_text(text, "the search text", QUERY_MAX)
        if not 1 <= limit <= SEARCH_LIMIT_MAX:
            raise InvalidInput(f"limit is 1–{SEARCH_LIMIT_MAX}")
        terms = search.query_terms(query)
        if not terms or not scope:
            return []
        stats = await uow.community_posts.search_stats(org_id, scope, terms)
        weights = search.weights(terms, stats)
        if not weights:
            return []
        top = await uow.community_posts.search_top(
            org_id, scope, weights, stats.average_length, max(40, limit * 4)
        )
        posts = {p.id: p for p in await uow.community_posts.get_many(org_id, [i for i, _ in top])}
        facts = {p.id: (p.created_at, p.upvotes) for p in posts.values() if not p.archived}
        hits = search.rerank(top, facts, self._clock.now(), limit)
        return [
            SearchResult(posts[h.post_id], h.score, search.similarity(h.relevance, weights))
            for h in hits
        ]

    # questions ---------------------------------------------------------------------------
    async def ask(
        self,
        org_id: UUID,
        community_id: UUID,
        asker_id: UUID,
        title: str,
        body: str = "",
        tags: Sequence[str] = (),
    ) -> Question:
        question = Question(
            id=new_id(),
            organisation_id=org_id,
            community_id=community_id,
            asker_id=asker_id,
            title=clean_text(title, "the question", TITLE_MAX),
            body=clean_text(body, "the details", BODY_MAX, required=False),
            tags=await self._clean_tags(org_id, tags),
            created_at=self._clock.now(),
        )
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._member(uow, community, asker_id)
            await uow.community_questions.add(question)
            await uow.commit()
        return question

    async def _question(
        self, uow: UnitOfWork, org_id: UUID, question_id: UUID, viewer_id: UUID | None
    ) -> tuple[Question, Community]:
        question = await uow.community_questions.get(org_id, question_id)
        if question is None:
            raise QuestionNotFound("no such question in this organisation")
        community = await self._community(uow, org_id, question.community_id)
        await self._can_read(uow, community, viewer_id)
        return question, community

    async def answer(
        self,
        org_id: UUID,
        question_id: UUID,
        author_id: UUID,
        body: str,
        cites_post_id: UUID | None = None,
    ) -> Answer:
        text = clean_text(body, "the answer", BODY_MAX)
        async with self._uow() as uow:
            question, community = await self._question(uow, org_id, question_id, author_id)
            await self._member(uow, community, author_id)
            if cites_post_id is not None:
                cited, _ = await self._post(uow, org_id, cites_post_id, author_id)
                if cited.archived:
                    raise PostNotFound("the cited post was archived")
            now = self._clock.now()
            answer = Answer(
                new_id(), org_id, question.id, author_id, text, now, False, cites_post_id
            )
            await uow.community_questions.add_answer(answer)
            if question.first_answer_at is None:
                question.first_answer_at = now
                if question.status == "open":
                    question.status = "answered"
                await uow.community_questions.update(question)
            await uow.commit()
        return answer

    async def accept(self, org_id: UUID, answer_id: UUID, actor_id: UUID) -> Answer:
        """The asker (or a host) accepts one answer."""
        async with self._uow() as uow:
            answer = await uow.community_questions.get_answer(org_id, answer_id)
            if answer is None:
                raise AnswerNotFound("no such answer in this organisation")
            question, community = await self._question(uow, org_id, answer.question_id, actor_id)
            membership = await self._member(uow, community, actor_id)
            if question.asker_id != actor_id and not membership.hosts:
                raise NotYours("only the asker or the community's hosts accept an answer")
            if question.accepted_answer_id is not None:
                if question.accepted_answer_id == answer.id:
                    return answer
                raise AlreadyAccepted("another answer is accepted already")
            answer.accepted = True
            question.accepted_answer_id = answer.id
            await uow.community_questions.update_answer(answer)
            await uow.community_questions.update(question)
            await uow.commit()
        await self._record_evidence(
            org_id, [answer.author_id], "accepted_answer", f"answer:{answer.id}", question.tags
        )
        return answer

    async def promote(
        self, org_id: UUID, question_id: UUID, actor_id: UUID, title: str | None = None
    ) -> Post:
        """Turn an accepted answer into a library resource crediting asker and answerer."""
        async with self._uow() as uow:
            question, community = await self._question(uow, org_id, question_id, actor_id)
            membership = await self._member(uow, community, actor_id)
            if question.accepted_answer_id is None:
                raise NotAccepted("accept an answer before promoting it")
            if question.resource_post_id is not None:
                raise AlreadyPromoted("this answer is in the library already")
            answer = await uow.community_questions.get_answer(org_id, question.accepted_answer_id)
            if answer is None:
                raise AnswerNotFound("the accepted answer is gone")
            if actor_id not in (question.asker_id, answer.author_id) and not membership.hosts:
                raise NotYours("the asker, the answerer or a host promotes an answer")
            now = self._clock.now()
            body = question.body + "\n\n" + answer.body if question.body else answer.body
            post = Post(
                id=new_id(),
                organisation_id=org_id,
                community_id=community.id,
                author_id=answer.author_id,
                kind="resource",
                title=clean_text(title or question.title, "the title", TITLE_MAX),
                body=body[:BODY_MAX],
                tags=question.tags,
                created_at=now,
                updated_at=now,
                credited_ids=tuple(dict.fromkeys((question.asker_id, answer.author_id))),
                source_question_id=question.id,
            )
            await uow.community_posts.add(post, search.term_frequencies(post.searchable_text()))
            question.resource_post_id = post.id
            await uow.community_questions.update(question)
            await uow.commit()
        await self._record_evidence(
            org_id, [answer.author_id], "resource_written", f"post:{post.id}", post.tags
        )
        return post

    async def mark_duplicate(
        self, org_id: UUID, question_id: UUID, actor_id: UUID, earlier_question_id: UUID
    ) -> Question:
        """Link a question to an earlier one's answer (its accepted answer, else its first)."""
        if question_id == earlier_question_id:
            raise InvalidInput("a question cannot duplicate itself")
        async with self._uow() as uow:
            question, community = await self._question(uow, org_id, question_id, actor_id)
            membership = await self._member(uow, community, actor_id)
            if question.asker_id != actor_id and not membership.hosts:
                raise NotYours("only the asker or the community's hosts link duplicates")
            earlier, _ = await self._question(uow, org_id, earlier_question_id, actor_id)
            if earlier.created_at > question.created_at:
                raise InvalidInput("link a question to an earlier one")
            answers = list(await uow.community_questions.answers(earlier.id))
            if not answers:
                raise Conflict("the earlier question has no answer yet")
            chosen = next((a for a in answers if a.accepted), None) or min(
                answers, key=lambda a: a.created_at
            )
            question.duplicate_of_id = earlier.id
            question.duplicate_answer_id = chosen.id
            question.status = "duplicate"
            await uow.community_questions.update(question)
            await uow.commit()
        return question

    async def get_question(
        self, org_id: UUID, question_id: UUID, viewer_id: UUID | None = None
    ) -> QuestionView:
        async with self._uow() as uow:
            question, _ = await self._question(uow, org_id, question_id, viewer_id)
            answers = await uow.community_questions.answers(question.id)
        return QuestionView(question, tuple(answers))

    async def list_questions(
        self,
        org_id: UUID,
        community_id: UUID,
        viewer_id: UUID | None = None,
        status: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> list[Question]:
        if status is not None and status not in ("open", "answered", "duplicate"):
            raise InvalidInput("status is open, answered or duplicate")
        if not 1 <= limit <= 200 or offset < 0:
            raise InvalidInput("limit is 1–200 and offset is not negative")
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._can_read(uow, community, viewer_id)
            return list(
                await uow.community_questions.list(org_id, [community.id], status, offset, limit)
            )

    # cohorts -----------------------------------------------------------------------------
    async def create_cohort(
        self,
        org_id: UUID,
        community_id: UUID,
        actor_id: UUID,
        name: str,
        goal: str,
        starts_on: date,
        ends_on: date,
        required_checkins: int = 3,
        requires_demo: bool = True,
    ) -> Cohort:
        if ends_on <= starts_on:
            raise InvalidInput("a cohort ends after it starts")
        if (ends_on - starts_on).days > 366:
            raise InvalidInput("a cohort lasts at most a year")
        if isinstance(required_checkins, bool) or not 0 <= required_checkins <= 52:
            raise InvalidInput("required check-ins is 0–52")
        cohort = Cohort(
            id=new_id(),
            organisation_id=org_id,
            community_id=community_id,
            name=clean_text(name, "the cohort name", TITLE_MAX),
            goal=clean_text(goal, "the goal", SHORT_MAX * 2),
            starts_on=starts_on,
            ends_on=ends_on,
            required_checkins=required_checkins,
            requires_demo=bool(requires_demo),
            created_by=actor_id,
            created_at=self._clock.now(),
        )
        if required_checkins > cohort.weeks:
            raise InvalidInput(
                f"a {cohort.weeks}-week cohort allows at most {cohort.weeks} check-ins"
            )
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._host(uow, community, actor_id)
            await uow.cohorts.add(cohort)
            await uow.commit()
        return cohort

    async def _cohort(
        self, uow: UnitOfWork, org_id: UUID, cohort_id: UUID
    ) -> tuple[Cohort, Community]:
        cohort = await uow.cohorts.get(org_id, cohort_id)
        if cohort is None:
            raise CohortNotFound("no such cohort in this organisation")
        return cohort, await self._community(uow, org_id, cohort.community_id)

    def _today(self, community: Community) -> date:
        return self._clock.now().astimezone(zone(community.time_zone)).date()

    async def join_cohort(self, org_id: UUID, cohort_id: UUID, person_id: UUID) -> Enrolment:
        async with self._uow() as uow:
            cohort, community = await self._cohort(uow, org_id, cohort_id)
            await self._member(uow, community, person_id)
            if self._today(community) > cohort.ends_on:
                raise CohortClosed("this cohort has ended")
            current = {e.person_id: e for e in await uow.cohorts.enrolments(cohort.id)}
            enrolment = current.get(person_id)
            if enrolment is not None and enrolment.left_at is None:
                return enrolment
            enrolment = Enrolment(cohort.id, org_id, person_id, self._clock.now())
            await uow.cohorts.save_enrolment(enrolment)
            await uow.commit()
        return enrolment

    async def leave_cohort(self, org_id: UUID, cohort_id: UUID, person_id: UUID) -> Enrolment:
        async with self._uow() as uow:
            cohort, _ = await self._cohort(uow, org_id, cohort_id)
            current = {e.person_id: e for e in await uow.cohorts.enrolments(cohort.id)}
            enrolment = current.get(person_id)
            if enrolment is None or enrolment.left_at is not None:
                raise NotEnrolled("you are not in this cohort")
            enrolment.left_at = self._clock.now()
            await uow.cohorts.save_enrolment(enrolment)
            await uow.commit()
        return enrolment

    async def check_in(
        self,
        org_id: UUID,
        cohort_id: UUID,
        person_id: UUID,
        tried: str,
        saved: str = "",
        stuck: str = "",
    ) -> CheckIn:
        """The weekly check-in: what I tried, what it saved, where I am stuck (one a week)."""
        texts = (
            clean_text(tried, "what you tried", BODY_MAX // 4),
            clean_text(saved, "what it saved", SHORT_MAX, required=False),
            clean_text(stuck, "where you are stuck", BODY_MAX // 4, required=False),
        )
        async with self._uow() as uow:
            cohort, community = await self._cohort(uow, org_id, cohort_id)
            await self._member(uow, community, person_id)
            enrolment = await self._enrolment(uow, cohort, person_id)
            today = self._today(community)
            if not cohort.starts_on <= today <= cohort.ends_on:
                raise CohortClosed("check-ins are open while the cohort runs")
            week = cohort.week_of(today)
            done = await uow.cohorts.checkins(cohort.id, person_id)
            if any(c.week == week for c in done):
                raise Conflict(f"you checked in for week {week} already")
            checkin = CheckIn(
                new_id(), org_id, cohort.id, person_id, week, *texts, self._clock.now()
            )
            await uow.cohorts.add_checkin(checkin)
            await self._complete_if_met(uow, cohort, community, enrolment, len(done) + 1)
            await uow.commit()
        return checkin

    async def _enrolment(self, uow: UnitOfWork, cohort: Cohort, person_id: UUID) -> Enrolment:
        for e in await uow.cohorts.enrolments(cohort.id):
            if e.person_id == person_id and e.left_at is None:
                return e
        raise NotEnrolled("join the cohort first")

    async def record_demo(
        self,
        org_id: UUID,
        community_id: UUID,
        actor_id: UUID,
        person_id: UUID,
        title: str,
        cohort_id: UUID | None = None,
    ) -> Demo:
        """A host records a demo someone gave (attendance is recorded after the session)."""
        text = clean_text(title, "the demo title", TITLE_MAX)
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._host(uow, community, actor_id)
            await self._member(uow, community, person_id)
            cohort = None
            if cohort_id is not None:
                cohort, cohort_community = await self._cohort(uow, org_id, cohort_id)
                if cohort_community.id != community.id:
                    raise InvalidInput("that cohort belongs to another community")
            demo = Demo(
                new_id(),
                org_id,
                community.id,
                person_id,
                text,
                self._clock.now(),
                actor_id,
                cohort_id,
            )
            await uow.cohorts.add_demo(demo)
            if cohort is not None:
                enrolment = await self._enrolment(uow, cohort, person_id)
                checkins = len(await uow.cohorts.checkins(cohort.id, person_id))
                await self._complete_if_met(uow, cohort, community, enrolment, checkins)
            await uow.commit()
        await self._record_evidence(
            org_id, [person_id], "demo_given", f"demo:{demo.id}", community.topics
        )
        return demo

    async def _complete_if_met(
        self,
        uow: UnitOfWork,
        cohort: Cohort,
        community: Community,
        enrolment: Enrolment,
        checkins: int,
    ) -> None:
        """Write the completion record (and its LMS / Viva Learning outbox rows) once."""
        if enrolment.completed_at is not None or checkins < cohort.required_checkins:
            return
        if cohort.requires_demo:
            demos = await uow.cohorts.demos(cohort.organisation_id, cohort.id)
            if not any(d.person_id == enrolment.person_id for d in demos):
                return
        now = self._clock.now()
        enrolment.completed_at = now
        await uow.cohorts.save_enrolment(enrolment)
        payload = {
            "cohort_id": str(cohort.id),
            "community_id": str(community.id),
            "person_id": str(enrolment.person_id),
            "title": cohort.name,
            "completed_at": now.isoformat(),
            "lms_course_ids": list(community.lms_course_ids),
            "score_given": 1,
            "score_maximum": 1,
            "activity_progress": "Completed",
            "grading_progress": "FullyGraded",
        }
        for topic in (OutboxTopic.LMS_SCORE, OutboxTopic.LEARNING_COMPLETION):
            await uow.outbox.add(
                OutboxMessage(
                    id=new_id(),
                    organisation_id=cohort.organisation_id,
                    kind=topic,
                    aggregate_type="cohort_completion",
                    aggregate_id=f"{cohort.id}:{enrolment.person_id}",
                    payload=payload,
                    created_at=now,
                )
            )

    async def pair_round(self, org_id: UUID, cohort_id: UUID, actor_id: UUID) -> PairingRound:
        """Pair the cohort for the next round: no pair repeats while avoidable, no one alone."""
        async with self._uow() as uow:
            cohort, community = await self._cohort(uow, org_id, cohort_id)
            await self._host(uow, community, actor_id)
            people = sorted(
                (e.person_id for e in await uow.cohorts.enrolments(cohort.id) if e.left_at is None),
                key=str,
            )
            if len(people) < 2:
                raise Conflict("pairing needs at least two people in the cohort")
            rounds = list(await uow.cohorts.rounds(cohort.id))
            history = pairs_of(g for r in rounds for g in r.groups)
            number = len(rounds) + 1
            seed = zlib.crc32(f"{cohort.id}:{number}".encode())
            groups = pair_up(people, history, seed=seed)
            pairing = PairingRound(
                new_id(), org_id, cohort.id, number, tuple(groups), self._clock.now()
            )
            await uow.cohorts.add_round(pairing)
            await uow.commit()
        return pairing

    async def cohort(
        self, org_id: UUID, cohort_id: UUID, viewer_id: UUID | None = None
    ) -> CohortView:
        async with self._uow() as uow:
            cohort, community = await self._cohort(uow, org_id, cohort_id)
            await self._can_read(uow, community, viewer_id)
            enrolments = [e for e in await uow.cohorts.enrolments(cohort.id) if e.left_at is None]
            checkins = await uow.cohorts.checkins(cohort.id)
            demos = await uow.cohorts.demos(org_id, cohort.id)
            rounds = await uow.cohorts.rounds(cohort.id)
        progress = tuple(
            Progress(
                e.person_id,
                sum(1 for c in checkins if c.person_id == e.person_id),
                sum(1 for d in demos if d.person_id == e.person_id),
                e.completed_at,
            )
            for e in sorted(enrolments, key=lambda e: e.joined_at)
        )
        return CohortView(cohort, progress, tuple(rounds))

    async def cohorts(
        self, org_id: UUID, community_id: UUID, viewer_id: UUID | None = None
    ) -> list[Cohort]:
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._can_read(uow, community, viewer_id)
            return list(await uow.cohorts.list(org_id, community.id))

    # show-and-tell -----------------------------------------------------------------------
    def _show(self) -> SessionBooking:
        if self.sessions is None:
            raise InvalidInput("show-and-tell needs office hours, which this installation lacks")
        return self.sessions

    async def start_show_and_tell(
        self,
        org_id: UUID,
        community_id: UUID,
        actor_id: UUID,
        weekday: int,
        start: str,
        minutes: int = 30,
        capacity: int = 6,
    ) -> UUID:
        """A weekly show-and-tell in the community's zone, hosted by the owner or facilitator
        who starts it; `capacity` demos a week, later sign-ups wait for a slot."""
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise InvalidInput("weekday is 0 (Monday) to 6 (Sunday)")
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 15 <= minutes <= 120:
            raise InvalidInput("a session lasts 15–120 minutes")
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 30:
            raise InvalidInput("a session has 1–30 demo slots")
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._host(uow, community, actor_id)
        return await self._show().create_weekly(
            org_id,
            community.id,
            actor_id,
            f"Show-and-tell: {community.name}"[:TITLE_MAX],
            "Short demos of what members tried this week.",
            weekday,
            start,
            minutes,
            community.time_zone,
            capacity,
        )

    async def _session(self, uow: UnitOfWork, community: Community) -> UUID:
        ids = await self._show().session_ids(community.organisation_id, community.id)
        if not ids:
            raise Conflict("this community has no show-and-tell yet")
        return ids[0]

    async def upcoming_show_and_tell(
        self, org_id: UUID, community_id: UUID, viewer_id: UUID | None = None, count: int = 4
    ) -> list[datetime]:
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._can_read(uow, community, viewer_id)
            session = await self._session(uow, community)
        return list(
            await self._show().next_starts(org_id, session, self._clock.now(), max(1, count))
        )

    async def sign_up_demo(
        self, org_id: UUID, community_id: UUID, person_id: UUID, start: datetime, title: str
    ) -> SessionSeat:
        """A member signs up to demo at one session; a full session puts them on its waitlist."""
        text = clean_text(title, "the demo title", TITLE_MAX)
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._member(uow, community, person_id)
            session = await self._session(uow, community)
        return await self._show().sign_up(org_id, session, person_id, _aware(start), text)

    async def agenda(
        self, org_id: UUID, community_id: UUID, start: datetime, viewer_id: UUID | None = None
    ) -> Agenda:
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._can_read(uow, community, viewer_id)
            session = await self._session(uow, community)
        seats = await self._show().seats(org_id, session, _aware(start))
        return Agenda(
            community.id,
            session,
            _aware(start),
            tuple(s for s in seats if s.status == "confirmed" and not s.audience),
            tuple(s for s in seats if s.status == "waitlisted"),
            tuple(s for s in seats if s.status == "confirmed" and s.audience),
        )

    async def attend_show_and_tell(
        self, org_id: UUID, community_id: UUID, person_id: UUID, start: datetime
    ) -> SessionSeat:
        """A member signs up to watch one session: a place in its audience, which takes none
        of the demo slots and never waits. Signing up again gives the same place; someone
        presenting at that session is already there and keeps their demo seat."""
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._member(uow, community, person_id)
            session = await self._session(uow, community)
        return await self._show().attend(org_id, session, person_id, _aware(start))

    async def leave_show_and_tell(
        self, org_id: UUID, community_id: UUID, person_id: UUID, start: datetime
    ) -> SessionSeat | None:
        """A member gives up their audience place at one session (their calendar invitation is
        cancelled); None when they were not in its audience, so leaving twice is harmless.
        Someone who left the community meanwhile may still give their place up."""
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._person(uow, org_id, person_id)
            session = await self._session(uow, community)
        return await self._show().leave(org_id, session, person_id, _aware(start))

    async def send_agenda(
        self, org_id: UUID, community_id: UUID, actor_id: UUID, start: datetime
    ) -> int:
        """Before the session: one notice per active member who has not paused notifications
        (through the outbox, delivered by the bot). Returns how many were queued."""
        agenda = await self.agenda(org_id, community_id, start)
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._host(uow, community, actor_id)
            members = await uow.communities.memberships(community.id, "active")
            payload = {
                "kind": "show_and_tell_agenda",
                "community_id": str(community.id),
                "community": community.name,
                "start": agenda.start.isoformat(),
                "demos": [{"person_id": str(d.person_id), "title": d.note} for d in agenda.demos],
                "attending": len(agenda.audience),
            }
            sent = 0
            for m in members:
                if m.notifications_paused:
                    continue
                await uow.outbox.add(
                    OutboxMessage(
                        id=new_id(),
                        organisation_id=org_id,
                        kind=OutboxTopic.NOTIFY,
                        aggregate_type="show_and_tell",
                        aggregate_id=f"{agenda.session_id}:{agenda.start.isoformat()}",
                        payload={**payload, "person_id": str(m.person_id)},
                        created_at=self._clock.now(),
                    )
                )
                sent += 1
            await uow.commit()
        return sent

    async def record_show_and_tell(
        self,
        org_id: UUID,
        community_id: UUID,
        actor_id: UUID,
        start: datetime,
        attended: Sequence[UUID],
    ) -> list[Demo]:
        """After the session: attendance for every confirmed demo and every audience place
        (`attended` names everyone who was there); the demos given count for their presenters
        (recognition, cohort completion) and the host's session counts."""
        agenda = await self.agenda(org_id, community_id, start)
        present = set(attended)
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._host(uow, community, actor_id)
        for seat in (*agenda.demos, *agenda.audience):
            await self._show().mark_attendance(org_id, seat.booking_id, seat.person_id in present)
        demos: list[Demo] = []
        async with self._uow() as uow:
            for seat in agenda.demos:
                if seat.person_id not in present:
                    continue
                demo = Demo(
                    new_id(),
                    org_id,
                    community.id,
                    seat.person_id,
                    seat.note,
                    agenda.start,
                    actor_id,
                )
                await uow.cohorts.add_demo(demo)
                demos.append(demo)
            await uow.commit()
        for demo in demos:
            await self._record_evidence(
                org_id, [demo.person_id], "demo_given", f"demo:{demo.id}", community.topics
            )
        return demos

    async def show_and_tell_invitation(self, org_id: UUID, booking_id: UUID) -> bytes:
        return await self._show().invitation(org_id, booking_id)

    # recognition, analytics, digest --------------------------------------------------------
    async def recognition(self, org_id: UUID, person_id: UUID) -> Recognition:
        async with self._uow() as uow:
            await self._person(uow, org_id, person_id)
            data = await uow.communities.activity(org_id, None, None, None)
        for r in analytics.recognition(data):
            if r.person_id == person_id:
                return r
        return Recognition(person_id)

    async def leaderboard(
        self, org_id: UUID, community_id: UUID, viewer_id: UUID | None = None, limit: int = 10
    ) -> list[Recognition]:
        if not 1 <= limit <= 100:
            raise InvalidInput("limit is 1–100")
        async with self._uow() as uow:
            community = await self._community(uow, org_id, community_id)
            await self._can_read(uow, community, viewer_id)
            if not community.leaderboard_enabled:
                raise LeaderboardOff("the owners turned this community's leaderboard off")
            data = await uow.communities.activity(org_id, community.id, None, None)
        return [r for r in analytics.recognition(data) if r.score > 0][:limit]

    async def analytics(
        self,
        org_id: UUID,
        community_id: UUID | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> analytics.Report:
        """Outcome figures for one community or the whole organisation (default: 12 weeks)."""
        end = _aware(end) if end else self._clock.now()
        start = _aware(start) if start else end - timedelta(weeks=12)
        if start >= end:
            raise InvalidInput("the period starts before it ends")
        if end - start > timedelta(days=800):
            raise InvalidInput("a report covers at most two years")
        async with self._uow() as uow:
            if community_id is not None:
                community = await self._community(uow, org_id, community_id)
                scope = f"community:{community.id}"
                communities = [community]
            else:
                scope = f"organisation:{org_id}"
                communities = list(await uow.communities.list(org_id, include_archived=True))
            facts = await uow.communities.report_facts(org_id, community_id, start, end)
            hosts = (
                None
                if community_id is None
                else [
                    m.person_id for m in await uow.communities.memberships(community_id) if m.hosts
                ]
            )
        limits = {c.id: c.expert_weekly_limit_hours for c in communities}
        default = min(limits.values(), default=Community.expert_weekly_limit_hours)
        bookings = None
        if self.bookings is not None:
            bookings = await self.bookings.figures(org_id, hosts, start, end)
        expert = None
        if self.deflection is not None and community_id is None:
            expert = await self.deflection.deflection_figures(org_id, start, end)
        return analytics.compute(
            scope,
            facts,
            start,
            end,
            limits=limits,
            default_limit=default,
            bookings=bookings,
            expert=expert,
        )

    async def export_analytics(
        self,
        org_id: UUID,
        fmt: str,
        community_id: UUID | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> tuple[str, bytes]:
        """The report as (content type, bytes): JSON, CSV, or the weekly chart as SVG or PNG."""
        if fmt not in analytics.EXPORT_TYPES:
            raise InvalidInput("export format is json, csv, svg or png")
        report = await self.analytics(org_id, community_id, start, end)
        if fmt == "json":
            return analytics.EXPORT_TYPES[fmt], json.dumps(report.as_dict(), indent=2).encode()
        if self._renderer is None:
            raise InvalidInput(f"{fmt} export is not available in this installation")
        if fmt == "csv":
            return analytics.EXPORT_TYPES[fmt], self._renderer.csv(report).encode()
        return analytics.EXPORT_TYPES[fmt], self._renderer.chart(report, fmt)

    async def digest(self, org_id: UUID, person_id: UUID) -> Digest:
        """The weekly summary for one member: top new resources of their communities, open
        questions in their skills, and what is coming up; paused communities are left out."""
        now = self._clock.now()
        since = now - timedelta(days=7)
        async with self._uow() as uow:
            await self._person(uow, org_id, person_id)
            memberships = [
                m for m in await uow.communities.memberships_of(org_id, person_id) if m.active
            ]
            paused = tuple(m.community_id for m in memberships if m.notifications_paused)
            ids = [m.community_id for m in memberships if not m.notifications_paused]
            communities = {c.id: c for c in await uow.communities.list(org_id) if c.id in set(ids)}
            ids = list(communities)
            fresh = (
                await uow.community_posts.list(org_id, ids, since=since, limit=200) if ids else []
            )
            open_qs = await uow.community_questions.list(org_id, ids, "open", 0, 200) if ids else []
            data = await uow.communities.activity(org_id, None, None, None)
            cohorts = [c for cid in ids for c in await uow.cohorts.list(org_id, cid)]
        skills = _skills_of(person_id, data, [communities[c] for c in ids])
        top = sorted(fresh, key=lambda p: (-(p.upvotes + p.tries), -p.created_at.timestamp()))
        wanted = [
            q
            for q in open_qs
            if q.asker_id != person_id and (set(q.tags) & set(skills) or not q.tags)
        ]
        wanted.sort(key=lambda q: q.created_at)
        upcoming: list[UpcomingItem] = []
        for c in cohorts:
            start_at = datetime.combine(
                c.starts_on, datetime.min.time(), zone(communities[c.community_id].time_zone)
            )
            if now <= start_at <= now + timedelta(days=14):
                upcoming.append(
                    UpcomingItem("cohort_start", c.name, c.community_id, start_at.astimezone(UTC))
                )
        if self.sessions is not None:
            for cid in ids:
                for session in await self.sessions.session_ids(org_id, cid):
                    for at in await self.sessions.next_starts(org_id, session, now, 1):
                        if at <= now + timedelta(days=7):
                            name = communities[cid].name
                            upcoming.append(
                                UpcomingItem("show_and_tell", f"Show-and-tell: {name}", cid, at)
                            )
        upcoming.sort(key=lambda u: u.at)
        return Digest(
            person_id=person_id,
            week_start=since,
            week_end=now,
            top_resources=tuple(top[:5]),
            open_questions=tuple(wanted[:5]),
            upcoming=tuple(upcoming[:5]),
            skills=tuple(skills),
            paused_community_ids=paused,
        )


def _skills_of(person_id: UUID, data: Any, communities: Sequence[Community]) -> list[str]:
    """Tags the person has shown they know (answers, accepted answers, their posts' tags via
    promoted questions); the topics of their communities when they have none yet."""
    counts: dict[str, int] = {}
    answered = {a.question_id for a in data.answers if a.author_id == person_id}
    for q in data.questions:
        if q.id in answered:
            for t in q.tags:
                counts[t] = counts.get(t, 0) + 1
    if not counts:
        for c in communities:
            for t in c.topics:
                counts[t] = counts.get(t, 0) + 1
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:20]


def _fill_content(post: Post, content: dict[str, Any]) -> None:
    """Validate the kind-specific fields of a post and set them."""
    post.body = clean_text(content.get("body"), "the text", BODY_MAX, required=False)
    post.tool = clean_text(content.get("tool"), "the tool", TITLE_MAX, required=False)
    post.prompt_text = clean_text(
        content.get("prompt_text"), "the prompt", BODY_MAX, required=False
    )
    post.example_output = clean_text(
        content.get("example_output"), "the example output", BODY_MAX, required=False
    )
    post.saved = clean_text(content.get("saved"), "what it saved", SHORT_MAX, required=False)
    post.url = clean_url(content.get("url"))
    if post.kind == "prompt" and not (post.tool and post.prompt_text):
        raise InvalidInput("a prompt needs the tool it was used in and the prompt text")
    if post.kind == "resource" and not (post.url or post.body):
        raise InvalidInput("a resource is a link or a text")
    if post.kind in ("tip", "experiment") and not post.body:
        raise InvalidInput("write the tip or what you tried in the text")


def _zone_name(name: object) -> str:
    if not isinstance(name, str):
        raise InvalidInput("a time zone is an IANA name such as Europe/Berlin")
    zone(name)
    return name


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput("times must carry a UTC offset")
    return value.astimezone(UTC)
