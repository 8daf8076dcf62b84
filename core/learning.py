"""Completions to Viva Learning: a LEARNING_COMPLETION outbox row becomes a course activity for
the learner's Microsoft account, after the learning content it refers to is upserted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from core.delivery import PermanentError, Result, SkippedError
from core.outbox import OutboxMessage
from core.ports import UnitOfWorkFactory


@dataclass(frozen=True)
class CourseActivity:
    #: our stable id for the content (a cohort, a community course) and what learners see
    external_content_id: str
    title: str
    content_url: str
    learner_user_id: str
    #: idempotency key on the receiving side: the outbox row id
    external_activity_id: str
    status: str = "completed"
    completion_percentage: int = 100
    completed_at: datetime | None = None
    assigned: bool = False


class LearningRecords(Protocol):
    """Where completions are recorded (Viva Learning through Graph)."""

    async def record(self, activity: CourseActivity) -> Result: ...


@dataclass
class LearningDelivery:
    """Outbox handler for LEARNING_COMPLETION rows."""

    records: LearningRecords
    uow: UnitOfWorkFactory
    public_url: str

    async def deliver(self, message: OutboxMessage) -> Result:
        payload = message.payload
        try:
            person_id = UUID(str(payload["person_id"]))
            content_id = str(payload.get("cohort_id") or payload["content_id"])
        except (KeyError, ValueError) as exc:
            raise PermanentError(f"completion payload is malformed: {exc!r}") from exc
        learner = await self._microsoft_account(message.organisation_id, person_id)
        activity = CourseActivity(
            external_content_id=content_id,
            title=str(payload.get("title") or "peerlearn"),
            content_url=_content_url(self.public_url, payload, content_id),
            learner_user_id=learner,
            external_activity_id=str(message.id),
            completed_at=_when(payload.get("completed_at")),
            assigned=bool(payload.get("assigned", False)),
        )
        return await self.records.record(activity)

    async def _microsoft_account(self, org_id: UUID, person_id: UUID) -> str:
        async with self.uow() as uow:
            person = await uow.people.get(org_id, person_id)
        if person is None:
            raise SkippedError("the person no longer exists")
        for identity in person.identities:
            if identity.kind == "teams":
                return identity.subject
        raise SkippedError("no Microsoft account is known for this person")


def _content_url(base: str, payload: dict[str, Any], content_id: str) -> str:
    community = payload.get("community_id")
    path = f"/communities/{community}" if community else f"/learning/{content_id}"
    return base.rstrip("/") + path


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
