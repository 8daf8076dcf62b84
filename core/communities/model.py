"""Communities, memberships, library posts, questions, cohorts and what hangs off them.

Every text field holds what the person wrote, unchanged (after trimming outer whitespace).
Renderers escape it; nothing here strips or rewrites markup.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from core.communities.errors import TextTooLong
from core.errors import InvalidInput

Visibility = Literal["open", "approval"]
Role = Literal["owner", "facilitator", "member"]
MemberStatus = Literal["active", "pending", "left"]
PostKind = Literal["tip", "prompt", "resource", "experiment"]
QuestionStatus = Literal["open", "answered", "duplicate"]

VISIBILITIES: tuple[str, ...] = ("open", "approval")
POST_KINDS: tuple[str, ...] = ("tip", "prompt", "resource", "experiment")

NAME_MAX = 120
TITLE_MAX = 200
SHORT_MAX = 500
BODY_MAX = 20_000
URL_MAX = 2_000
TAGS_MAX = 12

_URL = re.compile(r"^https?://[^\s<>\"]{3,}$", re.IGNORECASE)
_CHANNEL = re.compile(r"^[A-Za-z0-9:@._\-]{3,200}$")
_COURSE = re.compile(r"^[^\s<>\"]{1,200}$")


@dataclass
class Community:
    id: UUID
    organisation_id: UUID
    name: str
    purpose: str
    topics: tuple[str, ...]
    visibility: Visibility
    created_by: UUID
    created_at: datetime
    time_zone: str = "UTC"
    lms_course_ids: tuple[str, ...] = ()
    teams_channel_id: str | None = None
    #: the channel's link in Teams, when peerlearn created it through Graph
    teams_channel_url: str | None = None
    leaderboard_enabled: bool = True
    #: weekly hours an expert may spend on this community before analytics flags it
    expert_weekly_limit_hours: float = 4.0
    archived: bool = False


@dataclass
class Membership:
    community_id: UUID
    organisation_id: UUID
    person_id: UUID
    role: Role
    status: MemberStatus
    joined_at: datetime
    notifications_paused: bool = False

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def hosts(self) -> bool:
        """Owners and facilitators run the community (approvals, cohorts, pairing)."""
        return self.active and self.role in ("owner", "facilitator")

    @property
    def owns(self) -> bool:
        return self.active and self.role == "owner"


@dataclass
class Post:
    id: UUID
    organisation_id: UUID
    community_id: UUID
    author_id: UUID
    kind: PostKind
    title: str
    body: str
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    tool: str = ""
    prompt_text: str = ""
    example_output: str = ""
    saved: str = ""
    url: str = ""
    #: people credited besides the author (a promoted answer credits asker and answerer)
    credited_ids: tuple[UUID, ...] = ()
    source_question_id: UUID | None = None
    featured: bool = False
    archived: bool = False
    upvotes: int = 0
    tries: int = 0
    comment_count: int = 0

    def searchable_text(self) -> str:
        return " ".join(
            (self.title, self.body, self.tool, self.prompt_text, self.saved, " ".join(self.tags))
        )

    def content(self) -> dict[str, Any]:
        """The editable fields, as kept in edit history."""
        return {
            "title": self.title,
            "body": self.body,
            "tags": list(self.tags),
            "tool": self.tool,
            "prompt_text": self.prompt_text,
            "example_output": self.example_output,
            "saved": self.saved,
            "url": self.url,
        }


@dataclass(frozen=True)
class PostRevision:
    id: UUID
    post_id: UUID
    editor_id: UUID
    edited_at: datetime
    #: the content as it was before this edit
    previous: dict[str, Any]


@dataclass(frozen=True)
class Comment:
    id: UUID
    organisation_id: UUID
    post_id: UUID
    author_id: UUID
    body: str
    created_at: datetime


@dataclass
class Question:
    id: UUID
    organisation_id: UUID
    community_id: UUID
    asker_id: UUID
    title: str
    body: str
    tags: tuple[str, ...]
    created_at: datetime
    status: QuestionStatus = "open"
    first_answer_at: datetime | None = None
    accepted_answer_id: UUID | None = None
    duplicate_of_id: UUID | None = None
    #: the earlier answer a duplicate is linked to
    duplicate_answer_id: UUID | None = None
    resource_post_id: UUID | None = None


@dataclass
class Answer:
    id: UUID
    organisation_id: UUID
    question_id: UUID
    author_id: UUID
    body: str
    created_at: datetime
    accepted: bool = False
    #: an existing library post this answer points to (counts as deflection)
    cites_post_id: UUID | None = None


@dataclass
class Cohort:
    id: UUID
    organisation_id: UUID
    community_id: UUID
    name: str
    goal: str
    starts_on: date
    ends_on: date
    required_checkins: int
    requires_demo: bool
    created_by: UUID
    created_at: datetime

    @property
    def weeks(self) -> int:
        return max(1, ((self.ends_on - self.starts_on).days + 6) // 7)

    def week_of(self, day: date) -> int:
        """1-based week of the challenge `day` falls in."""
        return (day - self.starts_on).days // 7 + 1


@dataclass
class Enrolment:
    cohort_id: UUID
    organisation_id: UUID
    person_id: UUID
    joined_at: datetime
    left_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class CheckIn:
    id: UUID
    organisation_id: UUID
    cohort_id: UUID
    person_id: UUID
    week: int
    tried: str
    saved: str
    stuck: str
    created_at: datetime


@dataclass(frozen=True)
class Demo:
    """A short demo someone gave (in a cohort or at show-and-tell)."""

    id: UUID
    organisation_id: UUID
    community_id: UUID
    person_id: UUID
    title: str
    given_at: datetime
    recorded_by: UUID
    cohort_id: UUID | None = None


@dataclass(frozen=True)
class PairingRound:
    id: UUID
    organisation_id: UUID
    cohort_id: UUID
    number: int
    groups: tuple[tuple[UUID, ...], ...]
    created_at: datetime


@dataclass(frozen=True)
class Recognition:
    person_id: UUID
    accepted_answers: int = 0
    promoted_resources: int = 0
    demos_given: int = 0
    sessions_hosted: int = 0

    @property
    def score(self) -> int:
        """Helping counts; posting volume and votes do not."""
        return (
            3 * self.accepted_answers
            + 2 * self.promoted_resources
            + 2 * self.demos_given
            + 2 * self.sessions_hosted
        )


@dataclass
class Page:
    items: list[Any] = field(default_factory=list)
    total: int = 0


# cleaning -----------------------------------------------------------------------------------
def clean_text(value: object, what: str, limit: int, *, required: bool = True) -> str:
    """Trim and bound a user text, keeping its content exactly as written."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text")
    text = value.strip()
    if "\x00" in text:
        raise InvalidInput(f"{what} contains a NUL character")
    if required and not text:
        raise InvalidInput(f"{what} is required")
    if len(text) > limit:
        raise TextTooLong(f"{what} is limited to {limit:,} characters (got {len(text):,})")
    return text


def clean_name(value: object) -> str:
    text = clean_text(value, "the community name", NAME_MAX)
    return " ".join(text.split())


def clean_url(value: object, *, required: bool = False) -> str:
    text = clean_text(value, "the link", URL_MAX, required=required)
    if text and not _URL.match(text):
        raise InvalidInput("a link must be an http(s) URL")
    return text


def clean_visibility(value: object) -> Visibility:
    if value not in VISIBILITIES:
        raise InvalidInput("visibility is 'open' or 'approval'")
    return value  # type: ignore[return-value]


def clean_kind(value: object) -> PostKind:
    if value not in POST_KINDS:
        raise InvalidInput("a post is a tip, prompt, resource or experiment")
    return value  # type: ignore[return-value]


def clean_channel(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _CHANNEL.match(value.strip()):
        raise InvalidInput("a Teams channel id looks like 19:abc…@thread.tacv2")
    return value.strip()


def clean_course_ids(values: object) -> tuple[str, ...]:
    if values is None:
        return ()
    if not isinstance(values, list | tuple) or len(values) > 50:
        raise InvalidInput("LMS course ids are a list of at most 50 ids")
    out: list[str] = []
    for v in values:
        if not isinstance(v, str) or not _COURSE.match(v.strip()):
            raise InvalidInput("an LMS course id is a short text without spaces")
        if v.strip() not in out:
            out.append(v.strip())
    return tuple(out)


def tag_key(raw: str) -> str:
    """The comparable form of a tag: NFKC, case-folded, single dashes for spaces."""
    text = unicodedata.normalize("NFKC", raw).casefold().strip()
    return re.sub(r"[\s_]+", "-", text)
