"""Repositories of communities of practice over tortoise."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from adapters.db.sql import fetch_rows, select
from adapters.db.tables.communities import (
    AnswerRow,
    CheckInRow,
    CohortRow,
    CommentRow,
    CommunityRow,
    DemoRow,
    EnrolmentRow,
    MembershipRow,
    PairingRoundRow,
    PostRevisionRow,
    PostRow,
    PostSaveRow,
    PostTermRow,
    PostVoteRow,
    QuestionRow,
)
from core.communities.errors import CommunityNameTaken
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
from core.communities.ports import ActivityData, ReportFacts, SearchStats
from core.communities.search import bm25_term, impact
from core.errors import Conflict

PER_TERM_CANDIDATES = 500
STATS_TTL = 30.0
#: (organisation, scope) -> (expires at, live posts, mean length, {term: posts with it})
_STATS: dict[tuple[UUID, tuple[str, ...]], tuple[float, int, float, dict[str, int]]] = {}
_COMMUNITIES = select(
    CommunityRow, 'FROM "community" WHERE "organisation_id" = ? ORDER BY "name_key"'
)
_LIVE_COMMUNITIES = select(
    CommunityRow,
    'FROM "community" WHERE "organisation_id" = ? AND NOT "archived" ORDER BY "name_key"',
)


def _forget_stats(org_id: UUID) -> None:
    for key in [k for k in _STATS if k[0] == org_id]:
        _STATS.pop(key, None)


class _Sql:
    """Raw SQL with bound parameters in the connection's placeholder style."""

    def __init__(self) -> None:
        self.conn = connections.get("default")
        self.pg = self.conn.capabilities.dialect == "postgres"
        self.values: list[Any] = []
        self.false = "FALSE" if self.pg else "0"

    def p(self, value: Any) -> str:
        if isinstance(value, UUID) and not self.pg:
            value = str(value)
        elif isinstance(value, datetime) and not self.pg:
            value = str(value.astimezone(UTC))
        self.values.append(value)
        return f"${len(self.values)}" if self.pg else "?"

    def scope(self, org_id: UUID, community_ids: Sequence[UUID]) -> str:
        org = self.p(org_id)
        ids = ", ".join(self.p(c) for c in community_ids)
        return f"organisation_id = {org} AND community_id IN ({ids})"

    async def run(self, sql: str) -> list[dict[str, Any]]:
        return list(await self.conn.execute_query_dict(sql, self.values))


def _dt(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _ids(values: Any) -> tuple[UUID, ...]:
    return tuple(UUID(str(v)) for v in values or ())


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


# communities ------------------------------------------------------------------------------
def _community(row: CommunityRow) -> Community:
    return Community(
        id=row.id,
        organisation_id=row.organisation_id,
        name=row.name,
        purpose=row.purpose,
        topics=tuple(row.topics or ()),
        visibility=row.visibility,  # type: ignore[arg-type]
        created_by=row.created_by,
        created_at=row.created_at,
        time_zone=row.time_zone,
        lms_course_ids=tuple(row.lms_course_ids or ()),
        teams_channel_id=row.teams_channel_id,
        teams_channel_url=row.teams_channel_url,
        leaderboard_enabled=row.leaderboard_enabled,
        expert_weekly_limit_hours=row.expert_weekly_limit_hours,
        archived=row.archived,
    )


def _community_fields(c: Community) -> dict[str, Any]:
    return {
        "name": c.name,
        "name_key": c.name.casefold(),
        "purpose": c.purpose,
        "topics": list(c.topics),
        "visibility": c.visibility,
        "time_zone": c.time_zone,
        "lms_course_ids": list(c.lms_course_ids),
        "teams_channel_id": c.teams_channel_id,
        "teams_channel_url": c.teams_channel_url,
        "leaderboard_enabled": c.leaderboard_enabled,
        "expert_weekly_limit_hours": c.expert_weekly_limit_hours,
        "archived": c.archived,
    }


def _membership(row: MembershipRow) -> Membership:
    return Membership(
        community_id=row.community_id,  # type: ignore[attr-defined]
        organisation_id=row.organisation_id,
        person_id=row.person_id,
        role=row.role,  # type: ignore[arg-type]
        status=row.status,  # type: ignore[arg-type]
        joined_at=row.joined_at,
        notifications_paused=row.notifications_paused,
    )


def _question(row: QuestionRow) -> Question:
    return Question(
        id=row.id,
        organisation_id=row.organisation_id,
        community_id=row.community_id,  # type: ignore[attr-defined]
        asker_id=row.asker_id,
        title=row.title,
        body=row.body,
        tags=tuple(row.tags or ()),
        created_at=row.created_at,
        status=row.status,  # type: ignore[arg-type]
        first_answer_at=row.first_answer_at,
        accepted_answer_id=row.accepted_answer_id,
        duplicate_of_id=row.duplicate_of_id,
        duplicate_answer_id=row.duplicate_answer_id,
        resource_post_id=row.resource_post_id,
    )


def _answer(row: AnswerRow) -> Answer:
    return Answer(
        id=row.id,
        organisation_id=row.organisation_id,
        question_id=row.question_id,  # type: ignore[attr-defined]
        author_id=row.author_id,
        body=row.body,
        created_at=row.created_at,
        accepted=row.accepted,
        cites_post_id=row.cites_post_id,
    )


def _cohort(row: CohortRow) -> Cohort:
    return Cohort(
        id=row.id,
        organisation_id=row.organisation_id,
        community_id=row.community_id,  # type: ignore[attr-defined]
        name=row.name,
        goal=row.goal,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        required_checkins=row.required_checkins,
        requires_demo=row.requires_demo,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def _enrolment(row: EnrolmentRow) -> Enrolment:
    return Enrolment(
        cohort_id=row.cohort_id,  # type: ignore[attr-defined]
        organisation_id=row.organisation_id,
        person_id=row.person_id,
        joined_at=row.joined_at,
        left_at=row.left_at,
        completed_at=row.completed_at,
    )


def _checkin(row: CheckInRow) -> CheckIn:
    return CheckIn(
        id=row.id,
        organisation_id=row.organisation_id,
        cohort_id=row.cohort_id,  # type: ignore[attr-defined]
        person_id=row.person_id,
        week=row.week,
        tried=row.tried,
        saved=row.saved,
        stuck=row.stuck,
        created_at=row.created_at,
    )


def _demo(row: DemoRow) -> Demo:
    return Demo(
        id=row.id,
        organisation_id=row.organisation_id,
        community_id=row.community_id,  # type: ignore[attr-defined]
        person_id=row.person_id,
        title=row.title,
        given_at=row.given_at,
        recorded_by=row.recorded_by,
        cohort_id=row.cohort_id,
    )


class DbCommunities:
    async def add(self, community: Community) -> None:
        try:
            await CommunityRow.create(
                id=community.id,
                organisation_id=community.organisation_id,
                created_by=community.created_by,
                created_at=community.created_at,
                **_community_fields(community),
            )
        except IntegrityError:
            raise CommunityNameTaken(
                f"a community called {community.name!r} exists already"
            ) from None

    async def get(self, org_id: UUID, community_id: UUID) -> Community | None:
        row = await CommunityRow.get_or_none(id=community_id, organisation_id=org_id)
        return _community(row) if row else None

    async def get_by_name(self, org_id: UUID, name: str) -> Community | None:
        row = await CommunityRow.get_or_none(organisation_id=org_id, name_key=name.casefold())
        return _community(row) if row else None

    async def list(self, org_id: UUID, include_archived: bool = False) -> Sequence[Community]:
        # read on every LMS launch: a plain statement, no query building
        sql = _COMMUNITIES if include_archived else _LIVE_COMMUNITIES
        return [_community(r) for r in await fetch_rows(CommunityRow, sql, [str(org_id)])]

    async def update(self, community: Community) -> None:
        await CommunityRow.filter(
            id=community.id, organisation_id=community.organisation_id
        ).update(**_community_fields(community))

    async def get_membership(self, community_id: UUID, person_id: UUID) -> Membership | None:
        row = await MembershipRow.get_or_none(community_id=community_id, person_id=person_id)
        return _membership(row) if row else None

    async def save_membership(self, membership: Membership) -> None:
        values: dict[str, Any] = {
            "organisation_id": membership.organisation_id,
            "role": membership.role,
            "status": membership.status,
            "joined_at": membership.joined_at,
            "notifications_paused": membership.notifications_paused,
        }
        updated = await MembershipRow.filter(
            community_id=membership.community_id, person_id=membership.person_id
        ).update(**values)
        if not updated:
            await MembershipRow.create(
                community_id=membership.community_id, person_id=membership.person_id, **values
            )

    async def memberships(
        self, community_id: UUID, status: str | None = None
    ) -> Sequence[Membership]:
        q = MembershipRow.filter(community_id=community_id)
        if status is not None:
            q = q.filter(status=status)
        return [_membership(r) for r in await q.order_by("joined_at", "id")]

    async def memberships_of(self, org_id: UUID, person_id: UUID) -> Sequence[Membership]:
        rows = await MembershipRow.filter(organisation_id=org_id, person_id=person_id)
        return [_membership(r) for r in rows]

    async def member_counts(self, org_id: UUID) -> Mapping[UUID, int]:
        rows = (
            await MembershipRow.filter(organisation_id=org_id, status="active")
            .annotate(n=Count("id"))
            .group_by("community_id")
            .values_list("community_id", "n")
        )
        return {_uuid(cid): int(n) for cid, n in rows}

    async def activity(
        self,
        org_id: UUID,
        community_id: UUID | None,
        start: datetime | None,
        end: datetime | None,
    ) -> ActivityData:
        def scoped(q: Any, stamp: str, via: str = "community_id") -> Any:
            q = q.filter(organisation_id=org_id)
            if community_id is not None:
                q = q.filter(**{via: community_id})
            if start is not None:
                q = q.filter(**{f"{stamp}__gte": start})
            if end is not None:
                q = q.filter(**{f"{stamp}__lt": end})
            return q

        questions = [_question(r) for r in await scoped(QuestionRow.all(), "created_at")]
        # answers arrive after their question: take every answer to a question of the period
        answer_q = AnswerRow.filter(organisation_id=org_id)
        if community_id is not None:
            answer_q = answer_q.filter(question__community_id=community_id)
        if start is not None:
            answer_q = answer_q.filter(created_at__gte=start)
        answers = [_answer(r) for r in await answer_q]
        posts = [
            (_uuid(p), _uuid(c), _uuid(a), t, _uuid(s) if s else None, _ids(cr))
            for p, c, a, t, s, cr in await scoped(PostRow.all(), "created_at").values_list(
                "id",
                "community_id",
                "author_id",
                "created_at",
                "source_question_id",
                "credited_ids",
            )
        ]
        comment_q = scoped(CommentRow.all(), "created_at", via="post__community_id")
        comments = [
            (_uuid(a), t) for a, t in await comment_q.values_list("author_id", "created_at")
        ]
        cohort_q = CohortRow.filter(organisation_id=org_id)
        if community_id is not None:
            cohort_q = cohort_q.filter(community_id=community_id)
        cohorts = [_cohort(r) for r in await cohort_q]
        cohort_ids = [c.id for c in cohorts]
        enrolments = (
            [_enrolment(r) for r in await EnrolmentRow.filter(cohort_id__in=cohort_ids)]
            if cohort_ids
            else []
        )
        checkins = [
            _checkin(r)
            for r in await scoped(CheckInRow.all(), "created_at", via="cohort__community_id")
        ]
        demos = [_demo(r) for r in await scoped(DemoRow.all(), "given_at")]
        return ActivityData(
            questions=questions,
            answers=answers,
            posts=posts,
            comments=comments,
            checkins=checkins,
            demos=demos,
            cohorts=cohorts,
            enrolments=enrolments,
        )

    async def report_facts(
        self, org_id: UUID, community_id: UUID | None, start: datetime, end: datetime
    ) -> ReportFacts:
        """Plain rows straight from SQL: a year of a 20,000-person organisation in a second."""

        def where(alias: str, stamp: str, community: str | None) -> tuple[_Sql, str]:
            sql = _Sql()
            text = f"{alias}.organisation_id = {sql.p(org_id)}"
            if community_id is not None and community is not None:
                text += f" AND {community} = {sql.p(community_id)}"
            if stamp:
                text += f" AND {alias}.{stamp} >= {sql.p(start)}"
                text += f" AND {alias}.{stamp} < {sql.p(end)}"
            return sql, text

        async def rows(sql: _Sql, text: str) -> list[Any]:
            # positional rows (sqlite3.Row / asyncpg Record), no dict per row
            _, found = await sql.conn.execute_query(text, sql.values)
            return list(found)

        sql, cond = where("q", "created_at", "q.community_id")
        questions = [
            (a, b, c, _dt(d), bool(e))
            for a, b, c, d, e in await rows(
                sql,
                "SELECT q.id, q.community_id, q.asker_id, q.created_at,"  # noqa: S608
                " q.duplicate_of_id IS NOT NULL AS dup FROM community_question q WHERE " + cond,
            )
        ]
        sql = _Sql()
        cond = f"a.organisation_id = {sql.p(org_id)} AND a.created_at >= {sql.p(start)}"
        if community_id is not None:
            cond += f" AND q.community_id = {sql.p(community_id)}"
        answers = [
            (a, b, c, _dt(d), bool(e))
            for a, b, c, d, e in await rows(
                sql,
                "SELECT a.question_id, q.community_id, a.author_id, a.created_at,"  # noqa: S608
                " a.cites_post_id IS NOT NULL AS cites FROM community_answer a"
                " JOIN community_question q ON q.id = a.question_id WHERE " + cond,
            )
        ]
        sql, cond = where("p", "created_at", "p.community_id")
        posts = [
            (a, _dt(b))
            for a, b in await rows(
                sql,
                "SELECT p.author_id, p.created_at FROM community_post p WHERE " + cond,  # noqa: S608
            )
        ]
        sql, cond = where("c", "created_at", "p.community_id")
        join = " JOIN community_post p ON p.id = c.post_id" if community_id else ""
        comments = [
            (a, _dt(b))
            for a, b in await rows(
                sql,
                "SELECT c.author_id, c.created_at FROM community_comment c"  # noqa: S608
                + join
                + " WHERE "
                + cond,
            )
        ]
        sql, cond = where("k", "created_at", "h.community_id")
        join = " JOIN community_cohort h ON h.id = k.cohort_id" if community_id else ""
        checkins = [
            (a, _dt(b))
            for a, b in await rows(
                sql,
                "SELECT k.person_id, k.created_at FROM community_checkin k"  # noqa: S608
                + join
                + " WHERE "
                + cond,
            )
        ]
        sql, cond = where("d", "given_at", "d.community_id")
        demos = [
            (a, b, _dt(c))
            for a, b, c in await rows(
                sql,
                "SELECT d.person_id, d.community_id, d.given_at FROM community_demo d"  # noqa: S608
                " WHERE " + cond,
            )
        ]
        sql, cond = where("h", "", "h.community_id")
        cohorts = [
            (a, _day(b), _day(c))
            for a, b, c in await rows(
                sql,
                "SELECT h.id, h.starts_on, h.ends_on FROM community_cohort h WHERE " + cond,  # noqa: S608
            )
        ]
        enrolments = [
            (a, bool(b), bool(c))
            for a, b, c in await rows(
                sql,
                "SELECT e.cohort_id, e.left_at IS NOT NULL AS gone, e.completed_at IS NOT NULL AS done"  # noqa: S608
                " FROM community_cohort_enrolment e"
                " JOIN community_cohort h ON h.id = e.cohort_id WHERE " + cond,
            )
        ]
        return ReportFacts(
            questions, answers, posts, comments, checkins, demos, cohorts, enrolments
        )


# library ----------------------------------------------------------------------------------
def _post(row: PostRow) -> Post:
    return Post(
        id=row.id,
        organisation_id=row.organisation_id,
        community_id=row.community_id,  # type: ignore[attr-defined]
        author_id=row.author_id,
        kind=row.kind,  # type: ignore[arg-type]
        title=row.title,
        body=row.body,
        tags=tuple(row.tags or ()),
        created_at=row.created_at,
        updated_at=row.updated_at,
        tool=row.tool,
        prompt_text=row.prompt_text,
        example_output=row.example_output,
        saved=row.saved,
        url=row.url,
        credited_ids=_ids(row.credited_ids),
        source_question_id=row.source_question_id,
        featured=row.featured,
        archived=row.archived,
        upvotes=row.upvotes,
        tries=row.tries,
        comment_count=row.comment_count,
    )


def _post_fields(p: Post) -> dict[str, Any]:
    return {
        "title": p.title,
        "body": p.body,
        "tags": list(p.tags),
        "tool": p.tool,
        "prompt_text": p.prompt_text,
        "example_output": p.example_output,
        "saved": p.saved,
        "url": p.url,
        "credited_ids": [str(i) for i in p.credited_ids],
        "source_question_id": p.source_question_id,
        "featured": p.featured,
        "archived": p.archived,
        "upvotes": p.upvotes,
        "tries": p.tries,
        "comment_count": p.comment_count,
        "updated_at": p.updated_at,
    }


class DbLibrary:
    async def add(self, post: Post, terms: Mapping[str, int]) -> None:
        _forget_stats(post.organisation_id)
        await PostRow.create(
            id=post.id,
            organisation_id=post.organisation_id,
            community_id=post.community_id,
            author_id=post.author_id,
            kind=post.kind,
            created_at=post.created_at,
            length=sum(terms.values()),
            **_post_fields(post),
        )
        await self._index(post, terms)

    async def _index(self, post: Post, terms: Mapping[str, int]) -> None:
        length = sum(terms.values())
        await PostTermRow.bulk_create(
            [
                PostTermRow(
                    post_id=post.id,
                    organisation_id=post.organisation_id,
                    community_id=post.community_id,
                    archived=post.archived,
                    term=t,
                    tf=n,
                    length=length,
                    impact=impact(n, length),
                )
                for t, n in terms.items()
            ]
        )

    async def get(self, org_id: UUID, post_id: UUID) -> Post | None:
        row = await PostRow.get_or_none(id=post_id, organisation_id=org_id)
        return _post(row) if row else None

    async def get_many(self, org_id: UUID, post_ids: Sequence[UUID]) -> Sequence[Post]:
        if not post_ids:
            return []
        # by primary key only (an organisation filter here lets planners pick a worse index)
        rows = {r.id: r for r in await PostRow.filter(id__in=list(post_ids))}
        return [_post(rows[i]) for i in post_ids if i in rows and rows[i].organisation_id == org_id]

    async def update(self, post: Post, terms: Mapping[str, int] | None = None) -> None:
        _forget_stats(post.organisation_id)
        values = _post_fields(post)
        if terms is not None:
            values["length"] = sum(terms.values())
        await PostRow.filter(id=post.id, organisation_id=post.organisation_id).update(**values)
        if terms is not None:
            await PostTermRow.filter(post_id=post.id).delete()
            await self._index(post, terms)
        else:
            await (
                PostTermRow.filter(post_id=post.id)
                .exclude(archived=post.archived)
                .update(archived=post.archived)
            )

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
    ) -> Sequence[Post]:
        q = PostRow.filter(organisation_id=org_id, community_id__in=list(community_ids))
        if kind is not None:
            q = q.filter(kind=kind)
        if featured is not None:
            q = q.filter(featured=featured)
        if not include_archived:
            q = q.filter(archived=False)
        if since is not None:
            q = q.filter(created_at__gte=since)
        if tag is None:
            rows = await q.order_by("-featured", "-created_at", "id").offset(offset).limit(limit)
            return [_post(r) for r in rows]
        # tags are a JSON list: filter them here, portable across SQLite and PostgreSQL
        out: list[Post] = []
        skipped = 0
        async for row in q.order_by("-featured", "-created_at", "id"):
            if tag in (row.tags or ()):
                if skipped < offset:
                    skipped += 1
                    continue
                out.append(_post(row))
                if len(out) >= limit:
                    break
        return out

    async def search_stats(
        self, org_id: UUID, community_ids: Sequence[UUID], terms: Sequence[str]
    ) -> SearchStats:
        """Corpus figures, cached for `STATS_TTL` seconds per organisation and scope.

        BM25 weights barely move with a few new posts, so a slightly old count only nudges
        scores; a term's count is cached only once found (a new word is never hidden), and
        this process forgets an organisation's figures whenever one of its posts changes.
        """
        if not community_ids:
            return SearchStats(0, 0.0, {})
        key = (org_id, tuple(sorted(str(c) for c in community_ids)))
        now = time.monotonic()
        cached = _STATS.get(key)
        if cached is None or cached[0] < now:
            sql = _Sql()
            scope = sql.scope(org_id, community_ids)
            rows = await sql.run(
                "SELECT COUNT(*) AS n, AVG(length) AS avg FROM community_post"  # noqa: S608
                f" WHERE {scope} AND archived = {sql.false}"
            )
            documents = int(rows[0]["n"] or 0) if rows else 0
            average = float(rows[0]["avg"] or 0.0) if rows else 0.0
            if len(_STATS) > 1000:
                _STATS.clear()
            cached = _STATS[key] = (now + STATS_TTL, documents, average, {})
        _, documents, average, known = cached
        if not documents or not terms:
            return SearchStats(documents, average, {})
        df: dict[str, int] = {}
        for term in terms:
            if term in known:
                df[term] = known[term]
                continue
            sql = _Sql()
            scope = sql.scope(org_id, community_ids)
            rows = await sql.run(
                "SELECT COUNT(*) AS n FROM community_post_term"  # noqa: S608
                f" WHERE {scope} AND term = {sql.p(term)} AND archived = {sql.false}"
            )
            if rows and rows[0]["n"]:
                df[term] = known[term] = int(rows[0]["n"])
        return SearchStats(documents, average, df)

    async def search_top(
        self,
        org_id: UUID,
        community_ids: Sequence[UUID],
        weights: Mapping[str, float],
        average_length: float,
        limit: int,
    ) -> Sequence[tuple[UUID, float]]:
        """BM25 over each term's highest-impact posts, read from the term index alone.

        A term found in at most `per_term` posts contributes exactly; a commoner term offers
        only its `per_term` highest-impact posts as candidates (its weight is small by then,
        since BM25's idf falls as a term spreads). Candidates are scored exactly.
        """
        if not weights or not community_ids:
            return []
        per_term = max(PER_TERM_CANDIDATES, limit * 10)
        scores: dict[Any, float] = {}
        for term, weight in weights.items():
            sql = _Sql()
            scope = sql.scope(org_id, community_ids)
            rows = await sql.run(
                "SELECT post_id, tf, length FROM community_post_term"  # noqa: S608
                f" WHERE {scope} AND term = {sql.p(term)} AND archived = {sql.false}"
                f" ORDER BY impact DESC LIMIT {sql.p(per_term)}"
            )
            for r in rows:
                key = r["post_id"]
                scores[key] = scores.get(key, 0.0) + bm25_term(
                    int(r["tf"]), int(r["length"]), average_length, weight
                )
        best = sorted(scores.items(), key=lambda kv: (-kv[1], str(kv[0])))[:limit]
        return [(_uuid(k), v) for k, v in best]

    async def add_revision(self, revision: PostRevision) -> None:
        await PostRevisionRow.create(
            id=revision.id,
            post_id=revision.post_id,
            editor_id=revision.editor_id,
            edited_at=revision.edited_at,
            previous=revision.previous,
        )

    async def revisions(self, post_id: UUID) -> Sequence[PostRevision]:
        rows = await PostRevisionRow.filter(post_id=post_id).order_by("edited_at", "id")
        return [
            PostRevision(r.id, r.post_id, r.editor_id, r.edited_at, dict(r.previous))  # type: ignore[attr-defined]
            for r in rows
        ]

    async def set_vote(self, post_id: UUID, person_id: UUID, on: bool) -> bool:
        exists = await PostVoteRow.exists(post_id=post_id, person_id=person_id)
        if on and not exists:
            await PostVoteRow.create(post_id=post_id, person_id=person_id)
            return True
        if not on and exists:
            await PostVoteRow.filter(post_id=post_id, person_id=person_id).delete()
            return True
        return False

    async def set_saved(self, post_id: UUID, person_id: UUID, on: bool) -> bool:
        exists = await PostSaveRow.exists(post_id=post_id, person_id=person_id)
        if on and not exists:
            org_id = await PostRow.filter(id=post_id).values_list("organisation_id", flat=True)
            await PostSaveRow.create(
                post_id=post_id, person_id=person_id, organisation_id=org_id[0]
            )
            return True
        if not on and exists:
            await PostSaveRow.filter(post_id=post_id, person_id=person_id).delete()
            return True
        return False

    async def saved_by(self, org_id: UUID, person_id: UUID) -> Sequence[UUID]:
        rows = (
            await PostSaveRow.filter(organisation_id=org_id, person_id=person_id)
            .order_by("-saved_at", "-id")
            .values_list("post_id", flat=True)
        )
        return [_uuid(r) for r in rows]

    async def add_comment(self, comment: Comment) -> None:
        await CommentRow.create(
            id=comment.id,
            organisation_id=comment.organisation_id,
            post_id=comment.post_id,
            author_id=comment.author_id,
            body=comment.body,
            created_at=comment.created_at,
        )

    async def comments(self, post_id: UUID) -> Sequence[Comment]:
        rows = await CommentRow.filter(post_id=post_id).order_by("created_at", "id")
        return [
            Comment(r.id, r.organisation_id, r.post_id, r.author_id, r.body, r.created_at)  # type: ignore[attr-defined]
            for r in rows
        ]


# questions --------------------------------------------------------------------------------
class DbCommunityQuestions:
    async def add(self, question: Question) -> None:
        await QuestionRow.create(
            id=question.id,
            organisation_id=question.organisation_id,
            community_id=question.community_id,
            asker_id=question.asker_id,
            title=question.title,
            body=question.body,
            tags=list(question.tags),
            created_at=question.created_at,
            **_question_state(question),
        )

    async def get(self, org_id: UUID, question_id: UUID) -> Question | None:
        row = await QuestionRow.get_or_none(id=question_id, organisation_id=org_id)
        return _question(row) if row else None

    async def update(self, question: Question) -> None:
        await QuestionRow.filter(id=question.id, organisation_id=question.organisation_id).update(
            **_question_state(question)
        )

    async def list(
        self,
        org_id: UUID,
        community_ids: Sequence[UUID],
        status: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Sequence[Question]:
        q = QuestionRow.filter(organisation_id=org_id, community_id__in=list(community_ids))
        if status is not None:
            q = q.filter(status=status)
        rows = await q.order_by("-created_at", "id").offset(offset).limit(limit)
        return [_question(r) for r in rows]

    async def add_answer(self, answer: Answer) -> None:
        await AnswerRow.create(
            id=answer.id,
            organisation_id=answer.organisation_id,
            question_id=answer.question_id,
            author_id=answer.author_id,
            body=answer.body,
            accepted=answer.accepted,
            cites_post_id=answer.cites_post_id,
            created_at=answer.created_at,
        )

    async def get_answer(self, org_id: UUID, answer_id: UUID) -> Answer | None:
        row = await AnswerRow.get_or_none(id=answer_id, organisation_id=org_id)
        return _answer(row) if row else None

    async def update_answer(self, answer: Answer) -> None:
        await AnswerRow.filter(id=answer.id).update(
            accepted=answer.accepted, body=answer.body, cites_post_id=answer.cites_post_id
        )

    async def answers(self, question_id: UUID) -> Sequence[Answer]:
        rows = await AnswerRow.filter(question_id=question_id).order_by("created_at", "id")
        return [_answer(r) for r in rows]


def _question_state(q: Question) -> dict[str, Any]:
    return {
        "status": q.status,
        "first_answer_at": q.first_answer_at,
        "accepted_answer_id": q.accepted_answer_id,
        "duplicate_of_id": q.duplicate_of_id,
        "duplicate_answer_id": q.duplicate_answer_id,
        "resource_post_id": q.resource_post_id,
    }


# cohorts ----------------------------------------------------------------------------------
class DbCohorts:
    async def add(self, cohort: Cohort) -> None:
        await CohortRow.create(
            id=cohort.id,
            organisation_id=cohort.organisation_id,
            community_id=cohort.community_id,
            name=cohort.name,
            goal=cohort.goal,
            starts_on=cohort.starts_on,
            ends_on=cohort.ends_on,
            required_checkins=cohort.required_checkins,
            requires_demo=cohort.requires_demo,
            created_by=cohort.created_by,
            created_at=cohort.created_at,
        )

    async def get(self, org_id: UUID, cohort_id: UUID) -> Cohort | None:
        row = await CohortRow.get_or_none(id=cohort_id, organisation_id=org_id)
        return _cohort(row) if row else None

    async def list(self, org_id: UUID, community_id: UUID) -> Sequence[Cohort]:
        rows = await CohortRow.filter(organisation_id=org_id, community_id=community_id).order_by(
            "-starts_on", "id"
        )
        return [_cohort(r) for r in rows]

    async def save_enrolment(self, enrolment: Enrolment) -> None:
        values: dict[str, Any] = {
            "organisation_id": enrolment.organisation_id,
            "joined_at": enrolment.joined_at,
            "left_at": enrolment.left_at,
            "completed_at": enrolment.completed_at,
        }
        updated = await EnrolmentRow.filter(
            cohort_id=enrolment.cohort_id, person_id=enrolment.person_id
        ).update(**values)
        if not updated:
            await EnrolmentRow.create(
                cohort_id=enrolment.cohort_id, person_id=enrolment.person_id, **values
            )

    async def enrolments(self, cohort_id: UUID) -> Sequence[Enrolment]:
        rows = await EnrolmentRow.filter(cohort_id=cohort_id).order_by("joined_at", "id")
        return [_enrolment(r) for r in rows]

    async def add_checkin(self, checkin: CheckIn) -> None:
        try:
            await CheckInRow.create(
                id=checkin.id,
                organisation_id=checkin.organisation_id,
                cohort_id=checkin.cohort_id,
                person_id=checkin.person_id,
                week=checkin.week,
                tried=checkin.tried,
                saved=checkin.saved,
                stuck=checkin.stuck,
                created_at=checkin.created_at,
            )
        except IntegrityError:
            raise Conflict(f"you checked in for week {checkin.week} already") from None

    async def checkins(self, cohort_id: UUID, person_id: UUID | None = None) -> Sequence[CheckIn]:
        q = CheckInRow.filter(cohort_id=cohort_id)
        if person_id is not None:
            q = q.filter(person_id=person_id)
        return [_checkin(r) for r in await q.order_by("created_at", "id")]

    async def add_demo(self, demo: Demo) -> None:
        await DemoRow.create(
            id=demo.id,
            organisation_id=demo.organisation_id,
            community_id=demo.community_id,
            cohort_id=demo.cohort_id,
            person_id=demo.person_id,
            title=demo.title,
            given_at=demo.given_at,
            recorded_by=demo.recorded_by,
        )

    async def demos(self, org_id: UUID, cohort_id: UUID) -> Sequence[Demo]:
        rows = await DemoRow.filter(organisation_id=org_id, cohort_id=cohort_id).order_by(
            "given_at", "id"
        )
        return [_demo(r) for r in rows]

    async def add_round(self, pairing: PairingRound) -> None:
        await PairingRoundRow.create(
            id=pairing.id,
            organisation_id=pairing.organisation_id,
            cohort_id=pairing.cohort_id,
            number=pairing.number,
            groups=[[str(p) for p in g] for g in pairing.groups],
            created_at=pairing.created_at,
        )

    async def rounds(self, cohort_id: UUID) -> Sequence[PairingRound]:
        rows = await PairingRoundRow.filter(cohort_id=cohort_id).order_by("number")
        return [
            PairingRound(
                r.id,
                r.organisation_id,
                r.cohort_id,  # type: ignore[attr-defined]
                r.number,
                tuple(tuple(UUID(p) for p in g) for g in r.groups),
                r.created_at,
            )
            for r in rows
        ]
