"""Skills, expert profiles, evidence, questions, answers and routing offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

from core.errors import Conflict, InvalidInput, NotFound

EvidenceKind = Literal["answer", "accepted_answer", "office_hours", "resource", "demo"]
EVIDENCE_KINDS: tuple[str, ...] = ("answer", "accepted_answer", "office_hours", "resource", "demo")
QuestionStatus = Literal["open", "routed", "answered", "deflected", "closed"]
OfferStatus = Literal["offered", "accepted", "declined", "expired", "closed"]
#: what answered a deflected question: an earlier answered question, a library resource, or
#: the asker did not say
DeflectionSource = Literal["question", "resource", "unspecified"]

MAX_QUESTION_CHARS = 20_000
MAX_TAGS = 20


class UnknownSkill(InvalidInput):
    code = "unknown_skill"


class SkillNotFound(NotFound):
    code = "skill_not_found"


class SkillConflict(Conflict):
    code = "skill_conflict"


class QuestionNotFound(NotFound):
    code = "question_not_found"


class AnswerNotFound(NotFound):
    code = "answer_not_found"


class OfferNotFound(NotFound):
    code = "offer_not_found"


class OfferClosed(Conflict):
    code = "offer_closed"


class QuestionClosed(Conflict):
    code = "question_closed"


@dataclass(frozen=True)
class Skill:
    id: UUID
    organisation_id: UUID
    name: str
    #: comparison keys that resolve to this skill: its own name's key plus aliases
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeclaredSkill:
    skill_id: UUID
    level: int


@dataclass
class ExpertProfile:
    """What a person says about themself, and how much help they can give a week."""

    organisation_id: UUID
    person_id: UUID
    headline: str = ""
    skills: list[DeclaredSkill] = field(default_factory=list)
    #: routed questions per week this expert is happy to take
    weekly_request_cap: int = 5
    #: office-hours hours per week this expert is happy to give
    weekly_hours_cap: float = 4.0
    #: paused (vacation, crunch time) until this instant
    paused_until: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Endorsement:
    organisation_id: UUID
    person_id: UUID
    skill_id: UUID
    endorser_id: UUID
    created_at: datetime


@dataclass(frozen=True)
class Evidence:
    """A piece of activity that shows what someone knows; it decays with age."""

    id: UUID
    organisation_id: UUID
    person_id: UUID
    kind: str
    occurred_at: datetime
    skill_ids: tuple[UUID, ...] = ()
    text: str = ""
    #: 1–5 stars when the activity was rated (office hours)
    rating: float | None = None
    #: the feature's own id for this activity, so recording twice counts once
    ref: str = ""


@dataclass
class Question:
    id: UUID
    organisation_id: UUID
    asker_id: UUID | None
    title: str
    body: str
    skill_ids: list[UUID]
    created_at: datetime
    status: QuestionStatus = "open"
    source_key: str | None = None
    accepted_answer_id: UUID | None = None
    route_round: int = 0

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.body}".strip()


@dataclass
class Answer:
    id: UUID
    organisation_id: UUID
    question_id: UUID
    author_id: UUID
    text: str
    created_at: datetime
    accepted: bool = False
    score: int = 0
    source_key: str | None = None


@dataclass
class RoutingOffer:
    """A question offered to one expert; they accept, decline or suggest someone else."""

    id: UUID
    organisation_id: UUID
    question_id: UUID
    expert_id: UUID
    offered_at: datetime
    due_at: datetime
    round: int = 1
    status: OfferStatus = "offered"
    reason: str = ""
    suggested_id: UUID | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Deflection:
    """The asker stopped at what was reused: nobody had to be asked."""

    id: UUID
    organisation_id: UUID
    question_id: UUID
    asker_id: UUID | None
    source: DeflectionSource
    #: the answered question's id or the resource's id ("" when unspecified)
    ref: str
    created_at: datetime


@dataclass(frozen=True)
class DeflectionFigures:
    """Questions asked in a period (imported history left out) and what became of them."""

    start: datetime
    end: datetime
    asked: int = 0
    deflected: int = 0
    by_question: int = 0
    by_resource: int = 0
    routed: int = 0
    answered: int = 0

    @property
    def share(self) -> float | None:
        return round(self.deflected / self.asked, 4) if self.asked else None

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "questions_asked": self.asked,
            "deflected": self.deflected,
            "deflected_by_answered_question": self.by_question,
            "deflected_by_resource": self.by_resource,
            "deflection_share": self.share,
            "routed": self.routed,
            "answered": self.answered,
        }


def clean_level(level: object) -> int:
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
        raise InvalidInput("a skill level is a whole number from 1 to 5")
    return level


#: longest title taken from the first line of a question typed as one text
TITLE_CHARS = 200


def split_question(text: str) -> tuple[str, str]:
    """A question typed as one text (chat, the API's `text`): its first line is the title and
    the rest the body, so nothing past the first line is lost. A first line too long to be a
    title stays whole in the body, and the title is its beginning, cut between words."""
    first, _, rest = (text or "").strip().partition("\n")
    first = " ".join(first.split())
    if len(first) <= TITLE_CHARS:
        return clean_question_text(first, rest)
    return clean_question_text("", text)


def clean_question_text(title: str, body: str = "") -> tuple[str, str]:
    title = " ".join((title or "").split())
    body = (body or "").strip()
    if not title and not body:
        raise InvalidInput("the question text is empty")
    if len(title) + len(body) > MAX_QUESTION_CHARS:
        raise InvalidInput(
            f"the question is longer than {MAX_QUESTION_CHARS:,} characters; shorten it",
            limit=MAX_QUESTION_CHARS,
        )
    if not title:
        title, body = _shortened(" ".join(body.split("\n", 1)[0].split())), body
    return title[:500], body


def _shortened(line: str) -> str:
    """`line` as a title: whole if it fits, else cut at a word boundary and marked with "…"."""
    if len(line) <= TITLE_CHARS:
        return line
    cut = line[: TITLE_CHARS - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"
