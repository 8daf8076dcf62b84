"""Expertise repository: skills, profiles, evidence, questions, answers, offers.

Every write that changes what the search index knows also appends a change row in the same
transaction, so indexes in every process catch up in order (`adapters/search`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.models import Model

from adapters.db.tables.expertise import (
    AnswerRow,
    ChangeRow,
    DeclaredSkillRow,
    DeflectionRow,
    EndorsementRow,
    EvidenceRow,
    OfferRow,
    ProfileRow,
    QuestionRow,
    SkillAliasRow,
    SkillRow,
)
from adapters.db.tables.people import IdentityRow, PersonRow
from adapters.search import expert_facts
from adapters.search.expert_index import mark_changed
from core.expertise.model import (
    Answer,
    DeclaredSkill,
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

_counter = itertools.count()
CHUNK = 500


def next_seq() -> int:
    """Insert order: microseconds since the epoch × 1000 plus a tie-breaker (fits 63 bits)."""
    return time.time_ns() // 1000 * 1000 + next(_counter) % 1000


async def _insert_many(model: type[Model], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT many rows with one prepared statement: imports skip per-row model objects.

    Values go through each field's own `to_db_value`, so SQLite and PostgreSQL get what the
    ORM would have written."""
    if not rows:
        return
    meta = model._meta
    db = meta.db
    columns = list(rows[0])
    fields = [meta.fields_map[c] for c in columns]
    if db.capabilities.dialect == "postgres":
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    else:
        marks = ", ".join("?" for _ in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    # table and column names come from our own table definitions, never from input
    sql = f'INSERT INTO "{meta.db_table}" ({names}) VALUES ({marks})'  # noqa: S608
    values = [
        [f.to_db_value(row[c], model) for c, f in zip(columns, fields, strict=True)] for row in rows
    ]
    for start in range(0, len(values), 2000):
        await db.execute_many(sql, values[start : start + 2000])


async def _change(org_id: UUID, kind: str, ref: UUID | None) -> None:
    await ChangeRow.create(organisation_id=org_id, kind=kind, ref=ref)
    mark_changed(org_id)
    expert_facts.changed(org_id)


def _ids(values: object) -> list[UUID]:
    return [UUID(str(v)) for v in (values or [])]  # type: ignore[attr-defined]


def _uuid(value: object) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _question(r: QuestionRow) -> Question:
    return Question(
        id=r.id,
        organisation_id=r.organisation_id,
        asker_id=r.asker_id,
        title=r.title,
        body=r.body,
        skill_ids=_ids(r.skill_ids),
        created_at=r.created_at,
        status=r.status,  # type: ignore[arg-type]
        source_key=r.source_key,
        accepted_answer_id=r.accepted_answer_id,
        route_round=r.route_round,
    )


def _answer(r: AnswerRow) -> Answer:
    return Answer(
        id=r.id,
        organisation_id=r.organisation_id,
        question_id=r.question_id,
        author_id=r.author_id,
        text=r.text,
        created_at=r.created_at,
        accepted=r.accepted,
        score=r.score,
        source_key=r.source_key,
    )


def _offer(r: OfferRow) -> RoutingOffer:
    return RoutingOffer(
        id=r.id,
        organisation_id=r.organisation_id,
        question_id=r.question_id,
        expert_id=r.expert_id,
        offered_at=r.offered_at,
        due_at=r.due_at,
        round=r.round,
        status=r.status,  # type: ignore[arg-type]
        reason=r.reason,
        suggested_id=r.suggested_id,
        decided_at=r.decided_at,
    )


def _evidence(r: EvidenceRow) -> Evidence:
    return Evidence(
        id=r.id,
        organisation_id=r.organisation_id,
        person_id=r.person_id,
        kind=r.kind,
        occurred_at=r.occurred_at,
        skill_ids=tuple(_ids(r.skill_ids)),
        text=r.text,
        rating=r.rating,
        ref=r.ref,
    )


class DbExpertise:
    # skills ---------------------------------------------------------------------------------
    async def list_skills(self, org_id: UUID) -> Sequence[Skill]:
        rows = await SkillRow.filter(organisation_id=org_id).order_by("name")
        aliases: dict[UUID, list[str]] = {r.id: [] for r in rows}
        for a in await SkillAliasRow.filter(organisation_id=org_id).order_by("id"):
            aliases.setdefault(a.skill_id, []).append(a.key)  # type: ignore[attr-defined]
        return [Skill(r.id, r.organisation_id, r.name, tuple(aliases[r.id])) for r in rows]

    async def get_skill(self, org_id: UUID, skill_id: UUID) -> Skill | None:
        row = await SkillRow.get_or_none(id=skill_id, organisation_id=org_id)
        if row is None:
            return None
        keys = (
            await SkillAliasRow.filter(skill_id=row.id).order_by("id").values_list("key", flat=True)
        )
        return Skill(row.id, row.organisation_id, row.name, tuple(str(k) for k in keys))

    async def skill_keys(self, org_id: UUID) -> dict[str, UUID]:
        rows = await SkillAliasRow.filter(organisation_id=org_id).values_list("key", "skill_id")
        return {str(k): UUID(str(s)) for k, s in rows}

    async def add_skill(self, skill: Skill) -> None:
        await SkillRow.create(
            id=skill.id,
            organisation_id=skill.organisation_id,
            name=skill.name,
            created_at=datetime.now().astimezone(),
        )
        for key in skill.aliases:
            await SkillAliasRow.create(
                organisation_id=skill.organisation_id, key=key, skill_id=skill.id
            )
        await _change(skill.organisation_id, "skills", skill.id)

    async def set_skill(self, skill: Skill) -> None:
        await SkillRow.filter(id=skill.id).update(name=skill.name)
        have = {
            str(k)
            for k in await SkillAliasRow.filter(skill_id=skill.id).values_list("key", flat=True)
        }
        for key in skill.aliases:
            if key not in have:
                await SkillAliasRow.create(
                    organisation_id=skill.organisation_id, key=key, skill_id=skill.id
                )
        await _change(skill.organisation_id, "skills", skill.id)

    async def merge_skills(self, org_id: UUID, source_id: UUID, target_id: UUID) -> None:
        await SkillAliasRow.filter(organisation_id=org_id, skill_id=source_id).update(
            skill_id=target_id
        )
        for d in await DeclaredSkillRow.filter(organisation_id=org_id, skill_id=source_id):
            other = await DeclaredSkillRow.get_or_none(
                organisation_id=org_id, person_id=d.person_id, skill_id=target_id
            )
            if other is None:
                d.skill_id = target_id
                await d.save(update_fields=["skill_id"])
            else:
                other.level = max(other.level, d.level)
                await other.save(update_fields=["level"])
                await d.delete()
        for e in await EndorsementRow.filter(organisation_id=org_id, skill_id=source_id):
            dup = await EndorsementRow.exists(
                organisation_id=org_id,
                person_id=e.person_id,
                skill_id=target_id,
                endorser_id=e.endorser_id,
            )
            if dup:
                await e.delete()
            else:
                e.skill_id = target_id
                await e.save(update_fields=["skill_id"])
        src, dst = str(source_id), str(target_id)
        # JSON containment differs between SQLite and PostgreSQL: scan ids, rewrite the few
        for model in (QuestionRow, EvidenceRow):
            pairs = await model.filter(organisation_id=org_id).values_list("id", "skill_ids")
            for row_id, skill_ids in pairs:
                if src in (skill_ids or []):
                    ids = list(dict.fromkeys(dst if s == src else s for s in skill_ids))
                    await model.filter(id=row_id).update(skill_ids=ids)
        await SkillRow.filter(id=source_id, organisation_id=org_id).delete()
        await _change(org_id, "rebuild", None)

    # profiles -------------------------------------------------------------------------------
    async def _profiles(
        self, org_id: UUID, rows: Sequence[ProfileRow]
    ) -> dict[UUID, ExpertProfile]:
        out: dict[UUID, ExpertProfile] = {}
        for r in rows:
            out[r.person_id] = ExpertProfile(
                organisation_id=org_id,
                person_id=r.person_id,
                headline=r.headline,
                weekly_request_cap=r.weekly_request_cap,
                weekly_hours_cap=r.weekly_hours_cap,
                paused_until=r.paused_until,
                updated_at=r.updated_at,
            )
        if out:
            for d in await DeclaredSkillRow.filter(
                organisation_id=org_id, person_id__in=list(out)
            ).order_by("id"):
                out[d.person_id].skills.append(DeclaredSkill(d.skill_id, d.level))  # type: ignore[attr-defined]
        return out

    async def get_profile(self, org_id: UUID, person_id: UUID) -> ExpertProfile | None:
        rows = await ProfileRow.filter(organisation_id=org_id, person_id=person_id)
        return (await self._profiles(org_id, rows)).get(person_id)

    async def get_profiles(
        self, org_id: UUID, person_ids: Collection[UUID]
    ) -> dict[UUID, ExpertProfile]:
        if not person_ids:
            return {}
        rows = await ProfileRow.filter(organisation_id=org_id, person_id__in=list(person_ids))
        return await self._profiles(org_id, rows)

    async def save_profile(self, profile: ExpertProfile) -> None:
        org, person = profile.organisation_id, profile.person_id
        values: dict[str, Any] = {
            "headline": profile.headline,
            "weekly_request_cap": profile.weekly_request_cap,
            "weekly_hours_cap": profile.weekly_hours_cap,
            "paused_until": profile.paused_until,
            "updated_at": profile.updated_at,
        }
        if await ProfileRow.filter(organisation_id=org, person_id=person).exists():
            await ProfileRow.filter(organisation_id=org, person_id=person).update(**values)
        else:
            await ProfileRow.create(organisation_id=org, person_id=person, **values)
        await DeclaredSkillRow.filter(organisation_id=org, person_id=person).delete()
        for d in profile.skills:
            await DeclaredSkillRow.create(
                organisation_id=org, person_id=person, skill_id=d.skill_id, level=d.level
            )
        await _change(org, "profile", person)

    async def add_endorsement(self, endorsement: Endorsement) -> bool:
        e = endorsement
        if await EndorsementRow.exists(
            organisation_id=e.organisation_id,
            person_id=e.person_id,
            skill_id=e.skill_id,
            endorser_id=e.endorser_id,
        ):
            return False
        await EndorsementRow.create(
            organisation_id=e.organisation_id,
            person_id=e.person_id,
            skill_id=e.skill_id,
            endorser_id=e.endorser_id,
            created_at=e.created_at,
        )
        await _change(e.organisation_id, "profile", e.person_id)
        return True

    async def endorsements(self, org_id: UUID, person_id: UUID) -> Sequence[Endorsement]:
        rows = await EndorsementRow.filter(organisation_id=org_id, person_id=person_id)
        return [
            Endorsement(org_id, r.person_id, r.skill_id, r.endorser_id, r.created_at)  # type: ignore[attr-defined]
            for r in rows
        ]

    # evidence -------------------------------------------------------------------------------
    async def add_evidence(self, evidence: Evidence) -> bool:
        e = evidence
        if await EvidenceRow.exists(
            organisation_id=e.organisation_id, person_id=e.person_id, kind=e.kind, ref=e.ref
        ):
            return False
        await EvidenceRow.create(
            id=e.id,
            organisation_id=e.organisation_id,
            person_id=e.person_id,
            kind=e.kind,
            ref=e.ref,
            skill_ids=[str(s) for s in e.skill_ids],
            text=e.text,
            rating=e.rating,
            occurred_at=e.occurred_at,
        )
        await _change(e.organisation_id, "evidence", e.id)
        return True

    async def evidence_of(self, org_id: UUID, person_id: UUID) -> Sequence[Evidence]:
        rows = (
            await EvidenceRow.filter(organisation_id=org_id, person_id=person_id)
            .order_by("-occurred_at")
            .limit(1000)
        )
        return [_evidence(r) for r in rows]

    # questions and answers ------------------------------------------------------------------
    async def add_question(self, question: Question) -> None:
        q = question
        await QuestionRow.create(
            id=q.id,
            organisation_id=q.organisation_id,
            seq=next_seq(),
            asker_id=q.asker_id,
            title=q.title,
            body=q.body,
            skill_ids=[str(s) for s in q.skill_ids],
            status=q.status,
            source_key=q.source_key,
            accepted_answer_id=q.accepted_answer_id,
            route_round=q.route_round,
            created_at=q.created_at,
        )

    async def get_question(self, org_id: UUID, question_id: UUID) -> Question | None:
        row = await QuestionRow.get_or_none(id=question_id, organisation_id=org_id)
        return _question(row) if row else None

    async def get_questions(
        self, org_id: UUID, question_ids: Collection[UUID]
    ) -> dict[UUID, Question]:
        out: dict[UUID, Question] = {}
        ids = list(question_ids)
        for start in range(0, len(ids), CHUNK):
            for r in await QuestionRow.filter(
                organisation_id=org_id, id__in=ids[start : start + CHUNK]
            ):
                out[r.id] = _question(r)
        return out

    async def update_question(self, question: Question) -> None:
        q = question
        await QuestionRow.filter(id=q.id, organisation_id=q.organisation_id).update(
            title=q.title,
            body=q.body,
            skill_ids=[str(s) for s in q.skill_ids],
            status=q.status,
            accepted_answer_id=q.accepted_answer_id,
            route_round=q.route_round,
        )

    async def add_answer(self, answer: Answer) -> None:
        a = answer
        await AnswerRow.create(
            id=a.id,
            organisation_id=a.organisation_id,
            question_id=a.question_id,
            author_id=a.author_id,
            text=a.text,
            accepted=a.accepted,
            score=a.score,
            source_key=a.source_key,
            created_at=a.created_at,
        )
        await _change(a.organisation_id, "answer", a.id)

    async def get_answer(self, org_id: UUID, answer_id: UUID) -> Answer | None:
        row = await AnswerRow.get_or_none(id=answer_id, organisation_id=org_id)
        return _answer(row) if row else None

    async def update_answer(self, answer: Answer) -> None:
        a = answer
        before = await AnswerRow.get_or_none(id=a.id, organisation_id=a.organisation_id)
        await AnswerRow.filter(id=a.id, organisation_id=a.organisation_id).update(
            text=a.text, accepted=a.accepted, score=a.score
        )
        if before is not None and before.accepted != a.accepted:
            await _change(a.organisation_id, "accept" if a.accepted else "unaccept", a.id)

    async def answers_to(self, org_id: UUID, question_id: UUID) -> Sequence[Answer]:
        rows = await AnswerRow.filter(organisation_id=org_id, question_id=question_id).order_by(
            "created_at"
        )
        return [_answer(r) for r in rows]

    async def answers_by(
        self, org_id: UUID, person_id: UUID, limit: int = 1000
    ) -> Sequence[Answer]:
        rows = (
            await AnswerRow.filter(organisation_id=org_id, author_id=person_id)
            .order_by("-created_at")
            .limit(limit)
        )
        return [_answer(r) for r in rows]

    async def existing_source_keys(self, org_id: UUID, keys: Collection[str]) -> set[str]:
        found: set[str] = set()
        wanted = list(keys)
        for start in range(0, len(wanted), CHUNK):
            rows = await QuestionRow.filter(
                organisation_id=org_id, source_key__in=wanted[start : start + CHUNK]
            ).values_list("source_key", flat=True)
            found.update(str(r) for r in rows)
        return found

    async def bulk_import(
        self,
        questions: Sequence[Question],
        answers: Sequence[Answer],
        evidence: Sequence[Evidence],
        people: Sequence[Person] = (),
        skills: Sequence[Skill] = (),
    ) -> None:
        await _insert_many(
            PersonRow,
            [
                {
                    "id": p.id,
                    "organisation_id": p.organisation_id,
                    "name": p.name,
                    "email": p.email,
                    "email_verified": p.email_verified,
                    "time_zone": p.time_zone,
                    "locale": p.locale,
                    "is_admin": p.is_admin,
                    "created_at": p.created_at,
                }
                for p in people
            ],
        )
        await _insert_many(
            IdentityRow,
            [
                {
                    "organisation_id": p.organisation_id,
                    "person_id": p.id,
                    "kind": i.kind,
                    "issuer": i.issuer,
                    "subject": i.subject,
                }
                for p in people
                for i in p.identities
            ],
        )
        await _insert_many(
            SkillRow,
            [
                {
                    "id": k.id,
                    "organisation_id": k.organisation_id,
                    "name": k.name,
                    "created_at": now,
                }
                for k in skills
                for now in [datetime.now().astimezone()]
            ],
        )
        await _insert_many(
            SkillAliasRow,
            [
                {"organisation_id": k.organisation_id, "key": key, "skill_id": k.id}
                for k in skills
                for key in k.aliases
            ],
        )
        # a batch keeps its source order: seq grows with the position in the file
        base = time.time_ns() // 1000 * 1000
        await _insert_many(
            QuestionRow,
            [
                {
                    "id": q.id,
                    "organisation_id": q.organisation_id,
                    "seq": base + i,
                    "asker_id": q.asker_id,
                    "title": q.title,
                    "body": q.body,
                    "skill_ids": [str(s) for s in q.skill_ids],
                    "status": q.status,
                    "source_key": q.source_key,
                    "accepted_answer_id": q.accepted_answer_id,
                    "route_round": q.route_round,
                    "created_at": q.created_at,
                }
                for i, q in enumerate(questions)
            ],
        )
        await _insert_many(
            AnswerRow,
            [
                {
                    "id": a.id,
                    "organisation_id": a.organisation_id,
                    "question_id": a.question_id,
                    "author_id": a.author_id,
                    "text": a.text,
                    "accepted": a.accepted,
                    "score": a.score,
                    "source_key": a.source_key,
                    "created_at": a.created_at,
                }
                for a in answers
            ],
        )
        for e in evidence:
            await self.add_evidence(e)
        orgs = {q.organisation_id for q in questions}
        for org in orgs:
            await _change(org, "rebuild", None)

    async def time_zones(self, org_id: UUID, person_ids: Collection[UUID]) -> dict[UUID, str]:
        if not person_ids:
            return {}
        # by primary key alone (SQLite would otherwise scan the organisation's index)
        rows = await PersonRow.filter(id__in=list(person_ids)).values_list(
            "id", "organisation_id", "time_zone"
        )
        return {_uuid(i): str(z) for i, o, z in rows if _uuid(o) == org_id}

    async def source_people(self, org_id: UUID, issuer: str) -> dict[str, UUID]:
        rows = await IdentityRow.filter(
            organisation_id=org_id, kind="source", issuer=issuer
        ).values_list("subject", "person_id")
        return {str(s): UUID(str(p)) for s, p in rows}

    # routing --------------------------------------------------------------------------------
    async def add_offer(self, offer: RoutingOffer) -> None:
        o = offer
        await OfferRow.create(
            id=o.id,
            organisation_id=o.organisation_id,
            question_id=o.question_id,
            expert_id=o.expert_id,
            round=o.round,
            status=o.status,
            reason=o.reason,
            suggested_id=o.suggested_id,
            offered_at=o.offered_at,
            due_at=o.due_at,
            decided_at=o.decided_at,
        )
        # this week's request count of the expert, for the matchers of every process
        await _change(o.organisation_id, "offer", o.expert_id)

    async def get_offer(self, org_id: UUID, offer_id: UUID) -> RoutingOffer | None:
        row = await OfferRow.get_or_none(id=offer_id, organisation_id=org_id)
        return _offer(row) if row else None

    async def update_offer(self, offer: RoutingOffer) -> None:
        o = offer
        await OfferRow.filter(id=o.id, organisation_id=o.organisation_id).update(
            status=o.status,
            reason=o.reason,
            suggested_id=o.suggested_id,
            decided_at=o.decided_at,
            due_at=o.due_at,
        )

    async def offers_for(self, org_id: UUID, question_id: UUID) -> Sequence[RoutingOffer]:
        rows = await OfferRow.filter(organisation_id=org_id, question_id=question_id).order_by(
            "offered_at", "id"
        )
        return [_offer(r) for r in rows]

    async def offers_to(
        self, org_id: UUID, expert_id: UUID, statuses: Collection[str], limit: int = 20
    ) -> Sequence[RoutingOffer]:
        rows = (
            await OfferRow.filter(
                organisation_id=org_id, expert_id=expert_id, status__in=list(statuses)
            )
            .order_by("-offered_at", "-id")
            .limit(limit)
        )
        return [_offer(r) for r in rows]

    async def due_offers(self, now: datetime, limit: int = 500) -> Sequence[RoutingOffer]:
        rows = (
            await OfferRow.filter(status="offered", due_at__lte=now).order_by("due_at").limit(limit)
        )
        return [_offer(r) for r in rows]

    async def expire_offer(self, offer: RoutingOffer, when: datetime) -> bool:
        changed = await OfferRow.filter(
            id=offer.id, organisation_id=offer.organisation_id, status="offered"
        ).update(status="expired", decided_at=when)
        return bool(changed)

    # deflection -----------------------------------------------------------------------------
    async def add_deflection(self, deflection: Deflection) -> None:
        d = deflection
        await DeflectionRow.create(
            id=d.id,
            organisation_id=d.organisation_id,
            question_id=d.question_id,
            asker_id=d.asker_id,
            source=d.source,
            ref=d.ref,
            created_at=d.created_at,
        )

    async def deflection_figures(
        self, org_id: UUID, start: datetime, end: datetime
    ) -> DeflectionFigures:
        asked = await QuestionRow.filter(
            organisation_id=org_id,
            source_key__isnull=True,
            created_at__gte=start,
            created_at__lt=end,
        ).values_list("id", "status", "route_round")
        ids = {_uuid(i) for i, _, _ in asked}
        sources = await DeflectionRow.filter(
            organisation_id=org_id, created_at__gte=start
        ).values_list("question_id", "source")
        by_source = {
            source: sum(1 for q, s in sources if s == source and _uuid(q) in ids)
            for source in ("question", "resource")
        }
        return DeflectionFigures(
            start=start,
            end=end,
            asked=len(asked),
            deflected=sum(1 for _, status, _ in asked if status == "deflected"),
            by_question=by_source["question"],
            by_resource=by_source["resource"],
            routed=sum(1 for _, _, rounds in asked if rounds),
            answered=sum(1 for _, status, _ in asked if status == "answered"),
        )

    async def requests_since(
        self, org_id: UUID, person_ids: Collection[UUID], since: datetime
    ) -> dict[UUID, int]:
        if not person_ids:
            return {}
        rows = (
            await OfferRow.filter(
                organisation_id=org_id, expert_id__in=list(person_ids), offered_at__gte=since
            )
            .annotate(n=Count("id"))
            .group_by("expert_id")
            .values_list("expert_id", "n")
        )
        return {UUID(str(e)): int(n) for e, n in rows}


__all__ = ["DbExpertise", "IntegrityError"]
