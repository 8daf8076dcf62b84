"""Use cases: skills, profiles, evidence, matching, answer reuse, routing and history import."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from core.clock import Clock
from core.errors import Forbidden, InvalidInput, PeerlearnError, PersonNotFound
from core.expertise.facts import LookupFacts
from core.expertise.history import HistoryThread, ImportProblem
from core.expertise.model import (
    EVIDENCE_KINDS,
    MAX_TAGS,
    Answer,
    AnswerNotFound,
    DeclaredSkill,
    Deflection,
    DeflectionFigures,
    DeflectionSource,
    Endorsement,
    Evidence,
    ExpertProfile,
    OfferClosed,
    OfferNotFound,
    Question,
    QuestionClosed,
    QuestionNotFound,
    RoutingOffer,
    Skill,
    SkillConflict,
    SkillNotFound,
    UnknownSkill,
    clean_level,
    split_question,
)
from core.expertise.ports import (
    AvailabilityLookup,
    Candidate,
    ExpertFacts,
    ExpertIndex,
    MatchQuery,
    NoAvailability,
    NoResources,
    PersonFacts,
    ResourceHit,
    ResourceSearch,
    Vocabulary,
)
from core.expertise.ranking import (
    TIE_TOLERANCE,
    ExpertContext,
    RankedExpert,
    blend,
    order,
)
from core.expertise.text import phrases, skill_key
from core.ids import new_id
from core.outbox import OutboxMessage, OutboxTopic
from core.people.model import ExternalIdentity, Person
from core.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

MAX_TOP = 50
IMPORT_BATCH = 1000


@dataclass(frozen=True)
class RoutingPolicy:
    #: experts a question is offered to at once
    k: int = 3
    #: how long an expert has to accept before the question moves on
    timeout: timedelta = timedelta(hours=4)
    #: rounds of re-routing before the asker is told nobody is available
    max_rounds: int = 3


@dataclass(frozen=True)
class MatchResult:
    experts: list[RankedExpert]
    skill_ids: tuple[UUID, ...]
    unknown_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReusedAnswer:
    question: Question
    score: float
    answer: Answer | None


@dataclass(frozen=True)
class Reuse:
    """What already exists for a question: answered questions and library resources."""

    questions: list[ReusedAnswer]
    resources: list[ResourceHit]


@dataclass(frozen=True)
class SkillView:
    skill: Skill
    level: int = 0
    endorsements: int = 0
    answered: int = 0
    accepted: int = 0


@dataclass(frozen=True)
class ProfileView:
    person: Person
    profile: ExpertProfile
    skills: list[SkillView]
    evidence: dict[str, int]
    rating: float | None


@dataclass
class HistoryImportSummary:
    questions: int = 0
    already_imported: int = 0
    answers: int = 0
    people: int = 0
    skills: int = 0
    rejected: list[ImportProblem] = field(default_factory=list)


def _notify(
    org_id: UUID, person_id: UUID, question_id: UUID, template: str, now: datetime, **data: Any
) -> OutboxMessage:
    return OutboxMessage(
        id=new_id(),
        organisation_id=org_id,
        kind=OutboxTopic.NOTIFY,
        aggregate_type="question",
        aggregate_id=str(question_id),
        payload={
            "person_id": str(person_id),
            "template": template,
            "question_id": str(question_id),
            **data,
        },
        created_at=now,
    )


class ExpertiseService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        index: ExpertIndex,
        availability: AvailabilityLookup | None = None,
        resources: ResourceSearch | None = None,
        routing: RoutingPolicy | None = None,
        facts: ExpertFacts | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._index = index
        self._facts: ExpertFacts = facts or LookupFacts(uow)
        self.availability: AvailabilityLookup = availability or NoAvailability()
        self.resources: ResourceSearch = resources or NoResources()
        self.routing = routing or RoutingPolicy()

    # skills ---------------------------------------------------------------------------------
    async def skills(self, org_id: UUID) -> Sequence[Skill]:
        async with self._uow() as uow:
            return await uow.expertise.list_skills(org_id)

    async def add_skill(self, org_id: UUID, name: str, aliases: Iterable[str] = ()) -> Skill:
        name = _clean_skill_name(name)
        keys = tuple(dict.fromkeys([skill_key(name), *(skill_key(a) for a in aliases)]))
        if any(not k for k in keys):
            raise InvalidInput("an alias is empty")
        async with self._uow() as uow:
            await _org_exists(uow, org_id)
            known = await uow.expertise.skill_keys(org_id)
            taken = [k for k in keys if k in known]
            if taken:
                raise SkillConflict(f"'{taken[0]}' already names a skill", key=taken[0])
            skill = Skill(new_id(), org_id, name, keys)
            await uow.expertise.add_skill(skill)
            await uow.commit()
        return skill

    async def add_alias(self, org_id: UUID, skill_ref: str, alias: str) -> Skill:
        key = skill_key(alias)
        if not key:
            raise InvalidInput("an alias is empty")
        async with self._uow() as uow:
            skill = await _find_skill(uow, org_id, skill_ref)
            known = await uow.expertise.skill_keys(org_id)
            if key in known and known[key] != skill.id:
                raise SkillConflict(f"'{alias}' already names another skill", key=key)
            skill = replace(skill, aliases=tuple(dict.fromkeys([*skill.aliases, key])))
            await uow.expertise.set_skill(skill)
            await uow.commit()
        return skill

    async def rename_skill(self, org_id: UUID, skill_ref: str, new_name: str) -> Skill:
        """Rename; the old name keeps working as an alias, every link stays."""
        new_name = _clean_skill_name(new_name)
        key = skill_key(new_name)
        async with self._uow() as uow:
            skill = await _find_skill(uow, org_id, skill_ref)
            known = await uow.expertise.skill_keys(org_id)
            if key in known and known[key] != skill.id:
                raise SkillConflict(f"'{new_name}' already names another skill; merge instead")
            skill = replace(
                skill, name=new_name, aliases=tuple(dict.fromkeys([*skill.aliases, key]))
            )
            await uow.expertise.set_skill(skill)
            await uow.commit()
        self._index.forget(org_id)
        return skill

    async def merge_skills(self, org_id: UUID, source_ref: str, target_ref: str) -> Skill:
        """Fold `source` into `target`: its names become aliases, its links move over."""
        async with self._uow() as uow:
            source = await _find_skill(uow, org_id, source_ref)
            target = await _find_skill(uow, org_id, target_ref)
            if source.id == target.id:
                raise InvalidInput("a skill cannot be merged into itself")
            await uow.expertise.merge_skills(org_id, source.id, target.id)
            merged = replace(
                target, aliases=tuple(dict.fromkeys([*target.aliases, *source.aliases]))
            )
            await uow.expertise.set_skill(merged)
            await uow.commit()
        self._index.forget(org_id)
        return merged

    async def resolve_tags(
        self, org_id: UUID, tags: Iterable[str], *, strict: bool = True
    ) -> tuple[tuple[UUID, ...], tuple[str, ...]]:
        """Tag names → skill ids; unknown names raise (strict) or come back separately."""
        names = _clean_tags(tags)
        if not names:
            return (), ()
        known = (await self._index.vocabulary(org_id)).keys
        ids: list[UUID] = []
        unknown: list[str] = []
        for name in names:
            sid = known.get(skill_key(name))
            if sid is None:
                unknown.append(name)
            elif sid not in ids:
                ids.append(sid)
        if unknown and strict:
            close = difflib.get_close_matches(skill_key(unknown[0]), list(known), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownSkill(f"unknown skill '{unknown[0]}'{hint}", unknown=unknown)
        return tuple(ids), tuple(unknown)

    async def _ensure_skills(
        self, uow: UnitOfWork, org_id: UUID, names: Iterable[str], known: dict[str, UUID]
    ) -> tuple[list[UUID], int]:
        """Skill ids for names, creating the missing ones (imports, self-service, evidence)."""
        ids: list[UUID] = []
        created = 0
        for name in names:
            key = skill_key(name)
            if not key:
                continue
            sid = known.get(key)
            if sid is None:
                skill = Skill(new_id(), org_id, _clean_skill_name(name), (key,))
                await uow.expertise.add_skill(skill)
                known[key] = sid = skill.id
                created += 1
            if sid not in ids:
                ids.append(sid)
        return ids, created

    # profiles -------------------------------------------------------------------------------
    async def profile(self, org_id: UUID, person_id: UUID) -> ProfileView:
        async with self._uow() as uow:
            person = await uow.people.get(org_id, person_id)
            if person is None:
                raise PersonNotFound("no such person in this organisation")
            profile = await uow.expertise.get_profile(org_id, person_id) or ExpertProfile(
                org_id, person_id
            )
            endorsements = await uow.expertise.endorsements(org_id, person_id)
            evidence = await uow.expertise.evidence_of(org_id, person_id)
            answers = await uow.expertise.answers_by(org_id, person_id)
            questions = await uow.expertise.get_questions(org_id, {a.question_id for a in answers})
            skills = {s.id: s for s in await uow.expertise.list_skills(org_id)}
        levels = {d.skill_id: d.level for d in profile.skills}
        counts: dict[UUID, list[int]] = {}
        for sid in levels:
            counts.setdefault(sid, [0, 0, 0])
        for e in endorsements:
            counts.setdefault(e.skill_id, [0, 0, 0])[0] += 1
        for a in answers:
            q = questions.get(a.question_id)
            for sid in q.skill_ids if q else ():
                c = counts.setdefault(sid, [0, 0, 0])
                c[1] += 1
                c[2] += int(a.accepted)
        views = [
            SkillView(skills[sid], levels.get(sid, 0), c[0], c[1], c[2])
            for sid, c in counts.items()
            if sid in skills
        ]
        views.sort(key=lambda v: (-v.level, -v.answered, -v.endorsements, v.skill.name))
        by_kind = {k: 0 for k in EVIDENCE_KINDS}
        by_kind["answer"] = len(answers)
        by_kind["accepted_answer"] = sum(a.accepted for a in answers)
        ratings = [ev.rating for ev in evidence if ev.rating is not None]
        for ev in evidence:
            if ev.kind not in ("answer", "accepted_answer"):
                by_kind[ev.kind] = by_kind.get(ev.kind, 0) + 1
        rating = round(sum(ratings) / len(ratings), 2) if ratings else None
        return ProfileView(person, profile, views[:100], by_kind, rating)

    async def update_profile(
        self,
        org_id: UUID,
        person_id: UUID,
        *,
        headline: str | None = None,
        skills: dict[str, int] | None = None,
        weekly_request_cap: int | None = None,
        weekly_hours_cap: float | None = None,
        paused_until: datetime | None = None,
        clear_pause: bool = False,
    ) -> ProfileView:
        """Self-service edit; `skills` replaces the declared skills (name → level 1–5)."""
        if headline is not None and len(headline) > 300:
            raise InvalidInput("the headline is limited to 300 characters")
        if weekly_request_cap is not None and not 0 <= weekly_request_cap <= 100:
            raise InvalidInput("weekly_request_cap is 0–100")
        if weekly_hours_cap is not None and not 0 <= weekly_hours_cap <= 80:
            raise InvalidInput("weekly_hours_cap is 0–80")
        if skills is not None and len(skills) > 50:
            raise InvalidInput("at most 50 declared skills")
        levels = {name: clean_level(level) for name, level in (skills or {}).items()}
        async with self._uow() as uow:
            if await uow.people.get(org_id, person_id) is None:
                raise PersonNotFound("no such person in this organisation")
            profile = await uow.expertise.get_profile(org_id, person_id) or ExpertProfile(
                org_id, person_id
            )
            if headline is not None:
                profile.headline = " ".join(headline.split())
            if skills is not None:
                known = await uow.expertise.skill_keys(org_id)
                declared: dict[UUID, int] = {}
                for name, level in levels.items():
                    ids, _ = await self._ensure_skills(uow, org_id, [name], known)
                    if ids:
                        declared[ids[0]] = max(level, declared.get(ids[0], 0))
                profile.skills = [DeclaredSkill(k, v) for k, v in declared.items()]
            if weekly_request_cap is not None:
                profile.weekly_request_cap = weekly_request_cap
            if weekly_hours_cap is not None:
                profile.weekly_hours_cap = float(weekly_hours_cap)
            if clear_pause:
                profile.paused_until = None
            elif paused_until is not None:
                if paused_until.tzinfo is None:
                    raise InvalidInput("paused_until needs a UTC offset")
                profile.paused_until = paused_until
            profile.updated_at = self._clock.now()
            await uow.expertise.save_profile(profile)
            await uow.commit()
        return await self.profile(org_id, person_id)

    async def endorse(
        self, org_id: UUID, person_id: UUID, skill_ref: str, endorser_id: UUID
    ) -> bool:
        if person_id == endorser_id:
            raise InvalidInput("people cannot endorse themselves")
        async with self._uow() as uow:
            found = await uow.people.get_many(org_id, [person_id, endorser_id])
            if len(found) != 2:
                raise PersonNotFound("both people must belong to this organisation")
            skill = await _find_skill(uow, org_id, skill_ref)
            added = await uow.expertise.add_endorsement(
                Endorsement(org_id, person_id, skill.id, endorser_id, self._clock.now())
            )
            await uow.commit()
        return added

    # evidence -------------------------------------------------------------------------------
    async def record_evidence(
        self,
        org_id: UUID,
        person_id: UUID,
        kind: str,
        *,
        ref: str,
        skills: Iterable[str] = (),
        text: str = "",
        rating: float | None = None,
        occurred_at: datetime | None = None,
    ) -> bool:
        """Record activity that shows expertise (office hours held, resources written, demos
        given). Other features call this; the same (person, kind, ref) counts once.
        Returns False when it was already recorded."""
        if kind not in EVIDENCE_KINDS:
            raise InvalidInput(f"evidence kind is one of {', '.join(EVIDENCE_KINDS)}")
        if not ref or len(ref) > 200:
            raise InvalidInput("evidence needs a ref of at most 200 characters")
        if rating is not None and not 1 <= rating <= 5:
            raise InvalidInput("a rating is 1–5 stars")
        if len(text) > 20_000:
            raise InvalidInput("evidence text is limited to 20,000 characters")
        names = _clean_tags(skills)
        async with self._uow() as uow:
            if await uow.people.get(org_id, person_id) is None:
                raise PersonNotFound("no such person in this organisation")
            ids, _ = await self._ensure_skills(
                uow, org_id, names, await uow.expertise.skill_keys(org_id)
            )
            added = await uow.expertise.add_evidence(
                Evidence(
                    id=new_id(),
                    organisation_id=org_id,
                    person_id=person_id,
                    kind=kind,
                    occurred_at=occurred_at or self._clock.now(),
                    skill_ids=tuple(ids),
                    text=text,
                    rating=rating,
                    ref=ref,
                )
            )
            await uow.commit()
        return added

    # matching -------------------------------------------------------------------------------
    async def match(
        self,
        org_id: UUID,
        text: str,
        tags: Iterable[str] = (),
        asker_id: UUID | None = None,
        top: int = 5,
        *,
        strict_tags: bool = True,
        exclude: Collection[UUID] = (),
        infer_tags: bool = True,
    ) -> MatchResult:
        """The best available experts for a question, best first, with reasons."""
        title, body = split_question(text)
        if isinstance(top, bool) or not 1 <= top <= MAX_TOP:
            raise InvalidInput(f"top is 1–{MAX_TOP}")
        vocabulary = await self._index.vocabulary(org_id)
        query, unknown = await self._match_query(
            org_id, title, body, tags, strict_tags, vocabulary if infer_tags else None
        )
        now = self._clock.now()
        skip = set(exclude) | ({asker_id} if asker_id else set())
        # a shortlist by relevance; availability, load and time zones reorder it
        found = await self._index.candidates(org_id, query, skip, min(top * 2 + 10, 100))
        ids = [c.person_id for c in found]
        facts = await self._facts.facts(
            org_id, [*ids, asker_id] if asker_id else ids, now, self.availability
        )
        asker = facts.get(asker_id) if asker_id else None
        if asker_id and asker is None:
            raise PersonNotFound("the asker is not a person of this organisation")
        ranked = await self._blend_all(
            org_id,
            [(c, facts[c.person_id]) for c in found if c.person_id in facts],
            asker.time_zone if asker else None,
            now,
            vocabulary.names,
            top,
        )
        salt = f"{asker_id}|{title}|{now:%Y%m%d%H}"
        return MatchResult(
            order(ranked, salt)[:top], (*query.skill_ids, *query.named_skill_ids), unknown
        )

    async def _match_query(
        self,
        org_id: UUID,
        title: str,
        body: str,
        tags: Iterable[str],
        strict_tags: bool,
        vocabulary: Vocabulary | None,
    ) -> tuple[MatchQuery, tuple[str, ...]]:
        """The index query for a question: its text, its tags as skills and the skills of
        `vocabulary` its text names (none without one); with the tag names no skill answers to."""
        skill_ids, unknown = await self.resolve_tags(org_id, tags, strict=strict_tags)
        known = vocabulary.keys if vocabulary is not None else {}
        inferred = [known[p] for p in phrases(f"{title} {body}") if p in known]
        named = tuple(s for s in dict.fromkeys(inferred) if s not in skill_ids)
        return MatchQuery(f"{title}\n{body}", tuple(dict.fromkeys(skill_ids)), named), unknown

    async def relevance_order(
        self,
        org_id: UUID,
        text: str,
        tags: Iterable[str] = (),
        asker_id: UUID | None = None,
        limit: int = 1000,
    ) -> list[UUID]:
        """Everyone with any evidence for a question, by relevance alone (no availability, load
        or tie rotation): the order `match` gives people past its top when nothing else is known
        about them. Measuring a full ranking needs it (bench/matching.py); people see `match`."""
        title, body = split_question(text)
        vocabulary = await self._index.vocabulary(org_id)
        query, _ = await self._match_query(org_id, title, body, tags, False, vocabulary)
        skip = {asker_id} if asker_id else set()
        return [c.person_id for c in await self._index.candidates(org_id, query, skip, limit)]

    async def _blend_all(
        self,
        org_id: UUID,
        shortlist: list[tuple[Candidate, PersonFacts]],
        asker_zone: str | None,
        now: datetime,
        names: Mapping[UUID, str],
        top: int,
    ) -> list[RankedExpert]:
        """Blend every candidate with its facts. The exact next free office-hours slot (the one
        costly fact) is looked up only for hosts who could still reach the `top` shown: their
        score with the best possible availability must reach the `top`-th score without it,
        less the tie tolerance. Everyone else cannot enter the top, so the top is exact."""

        def ranked(c: Candidate, f: PersonFacts, free: datetime | None) -> RankedExpert:
            ctx = ExpertContext(
                person_id=c.person_id,
                time_zone=f.time_zone,
                profile=f.profile,
                next_free=free,
                requests_this_week=f.requests_this_week,
                hours_this_week=f.hours_this_week,
            )
            return blend(c, ctx, asker_zone=asker_zone, now=now, skill_names=names)

        out = {c.person_id: ranked(c, f, None) for c, f in shortlist}
        hosts = [(c, f) for c, f in shortlist if f.hosts_office_hours]
        if hosts:
            scores = sorted((r.score for r in out.values()), reverse=True)
            bar = scores[min(top, len(scores)) - 1] * (1 - TIE_TOLERANCE)
            reach = [c.person_id for c, f in hosts if ranked(c, f, now).score >= bar]
            free = await self.availability.next_free_slots(org_id, reach, now) if reach else {}
            for c, f in hosts:
                if c.person_id in free:
                    out[c.person_id] = ranked(c, f, free[c.person_id])
        return list(out.values())

    async def reuse(self, org_id: UUID, text: str, limit: int = 5, min_score: float = 0.4) -> Reuse:
        """Answered questions and library resources similar to `text`, most similar first."""
        title, body = split_question(text)
        if not 1 <= limit <= 20:
            raise InvalidInput("limit is 1–20")
        hits = await self._index.similar_questions(org_id, f"{title}\n{body}", limit, min_score)
        async with self._uow() as uow:
            questions = await uow.expertise.get_questions(org_id, [h.question_id for h in hits])
            found: list[ReusedAnswer] = []
            for h in hits:
                q = questions.get(h.question_id)
                if q is None:
                    continue
                answers = await uow.expertise.answers_to(org_id, q.id)
                best = max(answers, key=lambda a: (a.accepted, a.score), default=None)
                found.append(ReusedAnswer(q, round(h.score, 3), best))
        resources = list(await self.resources.search(org_id, f"{title}\n{body}", limit))
        return Reuse(found, resources)

    async def person_labels(self, org_id: UUID, person_ids: Sequence[UUID]) -> dict[UUID, str]:
        """How people were known where they came from: imported user id, else email, else id."""
        labels = {pid: str(pid) for pid in person_ids}
        labels.update(await self._index.source_labels(org_id, person_ids))
        rest = [pid for pid in person_ids if labels[pid] == str(pid)]
        if not rest:
            return labels
        async with self._uow() as uow:
            people = await uow.people.get_many(org_id, rest)
        for p in people:
            source = next((i.subject for i in p.identities if i.kind == "source"), None)
            labels[p.id] = source or p.email or str(p.id)
        return labels

    # questions and routing ------------------------------------------------------------------
    async def ask(
        self, org_id: UUID, asker_id: UUID, text: str, tags: Iterable[str] = ()
    ) -> tuple[Question, Reuse]:
        """Record a question and show what can be reused before anyone is disturbed."""
        title, body = split_question(text)
        skill_ids, _ = await self.resolve_tags(org_id, tags)
        async with self._uow() as uow:
            if await uow.people.get(org_id, asker_id) is None:
                raise PersonNotFound("the asker is not a person of this organisation")
            question = Question(
                id=new_id(),
                organisation_id=org_id,
                asker_id=asker_id,
                title=title,
                body=body,
                skill_ids=list(skill_ids),
                created_at=self._clock.now(),
            )
            await uow.expertise.add_question(question)
            await uow.commit()
        return question, await self.reuse(org_id, text)

    async def question(
        self, org_id: UUID, question_id: UUID
    ) -> tuple[Question, Sequence[Answer], Sequence[RoutingOffer]]:
        async with self._uow() as uow:
            q = await uow.expertise.get_question(org_id, question_id)
            if q is None:
                raise QuestionNotFound("no such question in this organisation")
            return (
                q,
                await uow.expertise.answers_to(org_id, q.id),
                await uow.expertise.offers_for(org_id, q.id),
            )

    async def resolve_by_reuse(
        self,
        org_id: UUID,
        question_id: UUID,
        *,
        by: UUID | None = None,
        reused_question_id: UUID | None = None,
        resource_id: str | None = None,
    ) -> Question:
        """This answered it: the asker stops at what was reused (an answered question or a
        library resource, when they say which), nobody needs to be asked, and analytics count
        a deflection. Open offers close. `by`, when given, must be the asker."""
        if reused_question_id is not None and resource_id is not None:
            raise InvalidInput("say which question or which resource answered it, not both")
        if resource_id is not None:
            resource_id = resource_id.strip()
            if not resource_id or len(resource_id) > 200:
                raise InvalidInput("a resource id is 1–200 characters")
        now = self._clock.now()
        async with self._uow() as uow:
            q = await _question(uow, org_id, question_id)
            if by is not None and q.asker_id is not None and by != q.asker_id:
                raise Forbidden("only the asker says what answered their question")
            if q.status not in ("open", "routed"):
                raise QuestionClosed(f"the question is already {q.status}")
            source: DeflectionSource = "unspecified"
            ref = ""
            if reused_question_id is not None:
                reused = await uow.expertise.get_question(org_id, reused_question_id)
                if reused is None or reused.id == q.id or reused.status != "answered":
                    raise QuestionNotFound("no such answered question in this organisation")
                source, ref = "question", str(reused.id)
            elif resource_id is not None:
                source, ref = "resource", resource_id
            q.status = "deflected"
            for offer in await uow.expertise.offers_for(org_id, q.id):
                if offer.status in ("offered", "accepted"):
                    offer.status = "closed"
                    offer.decided_at = now
                    await uow.expertise.update_offer(offer)
            await uow.expertise.update_question(q)
            await uow.expertise.add_deflection(
                Deflection(new_id(), org_id, q.id, q.asker_id, source, ref, now)
            )
            await uow.commit()
        return q

    async def deflection_figures(
        self, org_id: UUID, start: datetime | None = None, end: datetime | None = None
    ) -> DeflectionFigures:
        """Questions asked in the period (default: the last 12 weeks) and how many the askers
        resolved from reused answers and resources, by source; routed and answered beside."""
        # by default up to and including this second
        end = end or self._clock.now() + timedelta(seconds=1)
        start = start or end - timedelta(weeks=12)
        if start.tzinfo is None or end.tzinfo is None:
            raise InvalidInput("the period needs UTC offsets")
        if start >= end:
            raise InvalidInput("the period starts before it ends")
        if end - start > timedelta(days=800):
            raise InvalidInput("a report covers at most two years")
        async with self._uow() as uow:
            await _org_exists(uow, org_id)
            return await uow.expertise.deflection_figures(org_id, start, end)

    async def route(
        self, org_id: UUID, question_id: UUID, k: int | None = None
    ) -> list[RoutingOffer]:
        """Offer the question to the top-k experts who have not been asked yet."""
        k = k or self.routing.k
        if not 1 <= k <= 10:
            raise InvalidInput("k is 1–10")
        async with self._uow() as uow:
            q = await _question(uow, org_id, question_id)
            if q.status not in ("open", "routed"):
                raise QuestionClosed(f"the question is already {q.status}")
            offers = await self._route_round(uow, q, k)
            await uow.commit()
        return offers

    async def _route_round(self, uow: UnitOfWork, q: Question, k: int) -> list[RoutingOffer]:
        now = self._clock.now()
        asked = {o.expert_id for o in await uow.expertise.offers_for(q.organisation_id, q.id)}
        q.route_round += 1
        offers: list[RoutingOffer] = []
        if q.route_round <= self.routing.max_rounds:
            result = (
                await self.match(
                    q.organisation_id,
                    q.text,
                    asker_id=q.asker_id,
                    top=k,
                    strict_tags=False,
                    exclude=asked,
                    tags=[],
                    infer_tags=True,
                )
                if not q.skill_ids
                else await self._match_ids(q, k, asked)
            )
            for ranked in result.experts:
                offers.append(
                    await self._offer(uow, q, ranked.person_id, now, list(ranked.reasons))
                )
        q.status = "routed"
        await uow.expertise.update_question(q)
        if q.asker_id:
            if offers:
                await uow.outbox.add(
                    _notify(
                        q.organisation_id,
                        q.asker_id,
                        q.id,
                        "expertise.question_routed",
                        now,
                        experts=[str(o.expert_id) for o in offers],
                        round=q.route_round,
                    )
                )
            else:
                await uow.outbox.add(
                    _notify(
                        q.organisation_id,
                        q.asker_id,
                        q.id,
                        "expertise.no_expert_available",
                        now,
                        round=q.route_round,
                    )
                )
        return offers

    async def _match_ids(self, q: Question, k: int, asked: set[UUID]) -> MatchResult:
        names: list[str] = []
        async with self._uow() as uow:
            for sid in q.skill_ids:
                skill = await uow.expertise.get_skill(q.organisation_id, sid)
                if skill:
                    names.append(skill.name)
        return await self.match(
            q.organisation_id,
            q.text,
            names,
            asker_id=q.asker_id,
            top=k,
            strict_tags=False,
            exclude=asked,
        )

    async def _offer(
        self, uow: UnitOfWork, q: Question, expert_id: UUID, now: datetime, reasons: list[str]
    ) -> RoutingOffer:
        offer = RoutingOffer(
            id=new_id(),
            organisation_id=q.organisation_id,
            question_id=q.id,
            expert_id=expert_id,
            offered_at=now,
            due_at=now + self.routing.timeout,
            round=q.route_round,
        )
        await uow.expertise.add_offer(offer)
        await uow.outbox.add(
            _notify(
                q.organisation_id,
                expert_id,
                q.id,
                "expertise.question_offered",
                now,
                offer_id=str(offer.id),
                title=q.title,
                due_at=offer.due_at.isoformat(),
                reasons=reasons,
            )
        )
        return offer

    async def _own_offer(
        self, uow: UnitOfWork, org_id: UUID, offer_id: UUID, expert_id: UUID
    ) -> tuple[RoutingOffer, Question]:
        offer = await uow.expertise.get_offer(org_id, offer_id)
        if offer is None:
            raise OfferNotFound("no such routing offer in this organisation")
        if offer.expert_id != expert_id:
            raise Forbidden("this question was offered to someone else")
        if offer.status != "offered" and offer.status != "accepted":
            raise OfferClosed(f"this offer is already {offer.status}")
        q = await _question(uow, org_id, offer.question_id)
        if q.status not in ("open", "routed"):
            raise QuestionClosed(f"the question is already {q.status}")
        return offer, q

    async def accept_offer(self, org_id: UUID, offer_id: UUID, expert_id: UUID) -> RoutingOffer:
        now = self._clock.now()
        async with self._uow() as uow:
            offer, q = await self._own_offer(uow, org_id, offer_id, expert_id)
            if offer.status == "accepted":
                return offer
            offer.status = "accepted"
            offer.decided_at = now
            await uow.expertise.update_offer(offer)
            if q.asker_id:
                await uow.outbox.add(
                    _notify(
                        org_id,
                        q.asker_id,
                        q.id,
                        "expertise.expert_accepted",
                        now,
                        expert_id=str(expert_id),
                    )
                )
            await uow.commit()
        return offer

    async def decline_offer(
        self, org_id: UUID, offer_id: UUID, expert_id: UUID, reason: str
    ) -> list[RoutingOffer]:
        """Decline with a reason; when nobody is left on the question it moves on.
        Returns the new offers made because of it."""
        reason = " ".join((reason or "").split())
        if not reason:
            raise InvalidInput("say briefly why you decline (it helps route better)")
        if len(reason) > 500:
            raise InvalidInput("the reason is limited to 500 characters")
        now = self._clock.now()
        async with self._uow() as uow:
            offer, q = await self._own_offer(uow, org_id, offer_id, expert_id)
            offer.status = "declined"
            offer.reason = reason
            offer.decided_at = now
            await uow.expertise.update_offer(offer)
            new = await self._reroute_if_orphaned(uow, q)
            await uow.commit()
        return new

    async def suggest_colleague(
        self, org_id: UUID, offer_id: UUID, expert_id: UUID, colleague_id: UUID, reason: str = ""
    ) -> RoutingOffer:
        """Pass the question to a colleague who knows better."""
        now = self._clock.now()
        async with self._uow() as uow:
            offer, q = await self._own_offer(uow, org_id, offer_id, expert_id)
            if await uow.people.get(org_id, colleague_id) is None:
                raise PersonNotFound("the colleague is not a person of this organisation")
            if colleague_id in (expert_id, q.asker_id):
                raise InvalidInput("suggest someone other than yourself or the asker")
            asked = {o.expert_id: o for o in await uow.expertise.offers_for(org_id, q.id)}
            offer.status = "declined"
            offer.reason = " ".join((reason or "suggested a colleague").split())[:500]
            offer.suggested_id = colleague_id
            offer.decided_at = now
            await uow.expertise.update_offer(offer)
            previous = asked.get(colleague_id)
            if previous is not None and previous.status in ("offered", "accepted"):
                new = previous
            else:
                new = await self._offer(
                    uow, q, colleague_id, now, [f"suggested by a colleague: {offer.reason}"]
                )
            if q.asker_id:
                await uow.outbox.add(
                    _notify(
                        org_id,
                        q.asker_id,
                        q.id,
                        "expertise.colleague_suggested",
                        now,
                        expert_id=str(colleague_id),
                    )
                )
            await uow.commit()
        return new

    async def requests_for(
        self, org_id: UUID, expert_id: UUID, limit: int = 10
    ) -> list[tuple[RoutingOffer, Question]]:
        """An expert's open requests (offered or accepted, newest first) with their questions;
        questions closed meanwhile are left out."""
        if not 1 <= limit <= 50:
            raise InvalidInput("limit is 1–50")
        async with self._uow() as uow:
            offers = await uow.expertise.offers_to(
                org_id, expert_id, ("offered", "accepted"), limit
            )
            questions = await uow.expertise.get_questions(org_id, [o.question_id for o in offers])
        return [
            (o, questions[o.question_id])
            for o in offers
            if o.question_id in questions and questions[o.question_id].status in ("open", "routed")
        ]

    async def _reroute_if_orphaned(self, uow: UnitOfWork, q: Question) -> list[RoutingOffer]:
        offers = await uow.expertise.offers_for(q.organisation_id, q.id)
        if any(o.status in ("offered", "accepted") for o in offers):
            return []
        return await self._route_round(uow, q, self.routing.k)

    async def sweep(self) -> int:
        """Expire offers nobody accepted in time and route those questions onwards.
        Run by the worker (or `peerlearn experts sweep`); returns the offers expired. Each
        offer is expired by a conditional update, so when two workers sweep at once only the
        one that expired an offer routes its question onwards."""
        now = self._clock.now()
        expired = 0
        async with self._uow() as uow:
            due = await uow.expertise.due_offers(now)
            touched: dict[tuple[UUID, UUID], None] = {}
            for offer in due:
                if not await uow.expertise.expire_offer(offer, now):
                    continue
                touched[(offer.organisation_id, offer.question_id)] = None
                expired += 1
            for org_id, qid in touched:
                q = await uow.expertise.get_question(org_id, qid)
                if q is not None and q.status == "routed":
                    await self._reroute_if_orphaned(uow, q)
            await uow.commit()
        return expired

    async def answer(self, org_id: UUID, question_id: UUID, author_id: UUID, text: str) -> Answer:
        """An answer closes the loop: offers close, the asker hears, the author's evidence grows."""
        text = (text or "").strip()
        if not text:
            raise InvalidInput("the answer is empty")
        if len(text) > 50_000:
            raise InvalidInput("an answer is limited to 50,000 characters")
        now = self._clock.now()
        async with self._uow() as uow:
            q = await _question(uow, org_id, question_id)
            if q.status in ("deflected", "closed"):
                raise QuestionClosed(f"the question is {q.status}")
            if await uow.people.get(org_id, author_id) is None:
                raise PersonNotFound("the author is not a person of this organisation")
            if author_id == q.asker_id:
                raise InvalidInput("askers cannot answer their own question")
            answer = Answer(new_id(), org_id, q.id, author_id, text, now)
            await uow.expertise.add_answer(answer)
            for offer in await uow.expertise.offers_for(org_id, q.id):
                if offer.status in ("offered", "accepted"):
                    offer.status = "closed"
                    offer.decided_at = now
                    await uow.expertise.update_offer(offer)
            q.status = "answered"
            await uow.expertise.update_question(q)
            if q.asker_id:
                await uow.outbox.add(
                    _notify(
                        org_id,
                        q.asker_id,
                        q.id,
                        "expertise.question_answered",
                        now,
                        answer_id=str(answer.id),
                        author_id=str(author_id),
                    )
                )
            if await uow.teams_conversations.thread_for(org_id, q.id) is not None:
                # asked in a Teams channel thread: the answer is posted back there too
                await uow.outbox.add(
                    OutboxMessage(
                        id=new_id(),
                        organisation_id=org_id,
                        kind=OutboxTopic.TEAMS_THREAD_REPLY,
                        aggregate_type="question",
                        aggregate_id=str(q.id),
                        payload={"question_id": str(q.id), "answer_id": str(answer.id)},
                        created_at=now,
                    )
                )
            await uow.commit()
        return answer

    async def accept_answer(
        self, org_id: UUID, question_id: UUID, answer_id: UUID, by: UUID | None = None
    ) -> Answer:
        """The asker marks the answer that solved it; accepted answers weigh more."""
        now = self._clock.now()
        async with self._uow() as uow:
            q = await _question(uow, org_id, question_id)
            if by is not None and q.asker_id is not None and by != q.asker_id:
                raise Forbidden("only the asker accepts an answer")
            answer = await uow.expertise.get_answer(org_id, answer_id)
            if answer is None or answer.question_id != q.id:
                raise AnswerNotFound("no such answer to this question")
            if answer.accepted:
                return answer
            if q.accepted_answer_id is not None:
                previous = await uow.expertise.get_answer(org_id, q.accepted_answer_id)
                if previous is not None:
                    previous.accepted = False
                    await uow.expertise.update_answer(previous)
            answer.accepted = True
            q.accepted_answer_id = answer.id
            q.status = "answered"
            await uow.expertise.update_answer(answer)
            await uow.expertise.update_question(q)
            await uow.outbox.add(
                _notify(
                    org_id,
                    answer.author_id,
                    q.id,
                    "expertise.answer_accepted",
                    now,
                    answer_id=str(answer.id),
                )
            )
            await uow.commit()
        return answer

    # history import -------------------------------------------------------------------------
    async def import_history(
        self,
        org_id: UUID,
        threads: Iterable[HistoryThread | ImportProblem],
        *,
        source: str = "qa",
        progress: Callable[[int], object] | None = None,
    ) -> HistoryImportSummary:
        """Load question-and-answer history as people, questions, answers and evidence.

        Idempotent: questions already imported from `source` are skipped. Every thread is
        validated before writing; a batch is one transaction, so a line is either fully
        imported or reported, never half-written."""
        source = source.strip()
        if not source or len(source) > 100:
            raise InvalidInput("the source name is 1–100 characters")
        summary = HistoryImportSummary()
        async with self._uow() as uow:
            await _org_exists(uow, org_id)
            people = dict(await uow.expertise.source_people(org_id, source))
            known = await uow.expertise.skill_keys(org_id)
        batch: list[HistoryThread] = []
        for item in threads:
            if isinstance(item, ImportProblem):
                summary.rejected.append(item)
                if progress:
                    progress(1)
                continue
            batch.append(item)
            if len(batch) >= IMPORT_BATCH:
                await self._import_batch(org_id, source, batch, people, known, summary)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            await self._import_batch(org_id, source, batch, people, known, summary)
            if progress:
                progress(len(batch))
        if summary.questions:
            self._index.forget(org_id)
        summary.rejected.sort(key=lambda p: p.line)
        return summary

    async def prepare_index(self, org_id: UUID) -> None:
        """Build the organisation's expert index now rather than on its first question (after
        an import with the semantic signal on, this is when the imported threads are embedded)."""
        await self._index.vocabulary(org_id)

    async def _import_batch(
        self,
        org_id: UUID,
        source: str,
        batch: list[HistoryThread],
        people: dict[str, UUID],
        known: dict[str, UUID],
        summary: HistoryImportSummary,
    ) -> None:
        now = self._clock.now()
        new_people: dict[str, Person] = {}
        new_skills: dict[str, Skill] = {}

        def person(user: str) -> UUID:
            pid = people.get(user)
            if pid is not None:
                return pid
            found = new_people.get(user)
            if found is None:
                found = Person(
                    id=new_id(),
                    organisation_id=org_id,
                    name=f"{source} user {user}"[:200],
                    email=None,
                    identities=[ExternalIdentity("source", source, user)],
                    created_at=now,
                )
                new_people[user] = found
            return found.id

        def skill_ids(tags: Sequence[str]) -> list[UUID]:
            ids: list[UUID] = []
            for tag in tags:
                key = skill_key(tag)
                if not key or len(tag) > 100:
                    continue
                sid = known.get(key)
                if sid is None:
                    fresh = new_skills.get(key)
                    if fresh is None:
                        fresh = Skill(new_id(), org_id, _clean_skill_name(tag), (key,))
                        new_skills[key] = fresh
                    sid = fresh.id
                if sid not in ids:
                    ids.append(sid)
            return ids

        async with self._uow() as uow:
            seen = await uow.expertise.existing_source_keys(
                org_id, [f"{source}:{t.source_id}" for t in batch]
            )
            questions: list[Question] = []
            answers: list[Answer] = []
            in_batch: set[str] = set()
            for t in batch:
                key = f"{source}:{t.source_id}"
                if key in seen or key in in_batch:
                    summary.already_imported += 1
                    continue
                in_batch.add(key)
                when = t.created_at or now
                q = Question(
                    id=new_id(),
                    organisation_id=org_id,
                    asker_id=person(t.asker) if t.asker else None,
                    title=(t.title or t.body[:200])[:500],
                    body=t.body,
                    skill_ids=skill_ids(t.tags),
                    created_at=when,
                    status="answered" if t.answers else "open",
                    source_key=key,
                )
                for a in t.answers:
                    accepted = (
                        t.accepted_user is not None
                        and a.user == t.accepted_user
                        and q.accepted_answer_id is None
                    )
                    answer = Answer(
                        id=new_id(),
                        organisation_id=org_id,
                        question_id=q.id,
                        author_id=person(a.user),
                        text=a.text,
                        created_at=a.created_at or when,
                        accepted=accepted,
                        score=a.score,
                        source_key=f"{source}:a:{a.source_id}",
                    )
                    if accepted:
                        q.accepted_answer_id = answer.id
                    answers.append(answer)
                questions.append(q)
            await uow.expertise.bulk_import(
                questions, answers, [], list(new_people.values()), list(new_skills.values())
            )
            await uow.commit()
        people.update({user: p.id for user, p in new_people.items()})
        known.update({key: s.id for key, s in new_skills.items()})
        summary.questions += len(questions)
        summary.answers += len(answers)
        summary.people += len(new_people)
        summary.skills += len(new_skills)


def _clean_skill_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or not skill_key(name):
        raise InvalidInput("a skill needs a name")
    if len(name) > 100:
        raise InvalidInput("skill names are limited to 100 characters")
    return name


def _clean_tags(tags: Iterable[str]) -> list[str]:
    if isinstance(tags, str):
        raise InvalidInput("tags are a list of skill names")
    names: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise InvalidInput("tags are a list of skill names")
        tag = " ".join(tag.split())
        if not tag:
            continue
        if len(tag) > 100:
            raise InvalidInput("a tag is limited to 100 characters")
        names.append(tag)
    if len(names) > MAX_TAGS:
        raise InvalidInput(f"at most {MAX_TAGS} tags")
    return names


async def _org_exists(uow: UnitOfWork, org_id: UUID) -> None:
    from core.errors import UnknownOrganisation

    if await uow.organisations.get(org_id) is None:
        raise UnknownOrganisation("no such organisation")


async def _find_skill(uow: UnitOfWork, org_id: UUID, ref: str) -> Skill:
    """A skill by id, name or alias."""
    try:
        skill = await uow.expertise.get_skill(org_id, UUID(str(ref)))
    except ValueError:
        skill = None
    if skill is None:
        sid = (await uow.expertise.skill_keys(org_id)).get(skill_key(str(ref)))
        skill = await uow.expertise.get_skill(org_id, sid) if sid else None
    if skill is None:
        raise SkillNotFound(f"no skill '{str(ref)[:100]}' in this organisation")
    return skill


async def _question(uow: UnitOfWork, org_id: UUID, question_id: UUID) -> Question:
    q = await uow.expertise.get_question(org_id, question_id)
    if q is None:
        raise QuestionNotFound("no such question in this organisation")
    return q


__all__ = ["ExpertiseService", "PeerlearnError", "RoutingPolicy"]
