"""The transactional outbox: every effect that must reach the outside is a row written in the
same unit of work as the change that caused it. A worker delivers rows later, exactly once
from the receiver's point of view (each carries an idempotency key, its id)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

OutboxStatus = Literal["pending", "in_flight", "done", "dead"]


@dataclass(frozen=True)
class OutboxTopic:
    """Well-known outbox kinds; adapters subscribe by kind."""

    CALENDAR_UPSERT = "calendar.upsert"
    CALENDAR_CANCEL = "calendar.cancel"
    NOTIFY = "notify.person"
    LMS_SCORE = "lms.score"
    LMS_ROSTER = "lms.roster"
    LEARNING_COMPLETION = "learning.completion"
    TEAMS_CHANNEL = "teams.channel"
    #: an answer posted back into the Teams channel thread where the question was asked
    TEAMS_THREAD_REPLY = "teams.thread_reply"


@dataclass
class OutboxMessage:
    id: UUID
    organisation_id: UUID
    kind: str
    # what the message is about, e.g. ("booking", <id>): rows of one aggregate are delivered in order
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    created_at: datetime
    status: OutboxStatus = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    lease_until: datetime | None = None
    #: set when a worker claims the row; only that claim may record the outcome
    lease_token: str | None = None
    delivered_at: datetime | None = None
    result: dict[str, Any] = field(default_factory=dict)
