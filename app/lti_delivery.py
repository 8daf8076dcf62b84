"""Outbox handlers of the LMS: `lms.score` rows to the platform's grade book (AGS) and
`lms.roster` rows to a roster sync (NRPS) into the course's communities."""

from __future__ import annotations

from contextlib import AsyncExitStack

from adapters.lms.services import LmsServices
from app.settings import Settings
from core.delivery import HandlerRegistry, PermanentError, Result, SkippedError
from core.errors import PeerlearnError
from core.outbox import OutboxMessage, OutboxTopic
from core.services import Services


async def register_lms(
    settings: Settings, services: Services, registry: HandlerRegistry, stack: AsyncExitStack
) -> None:
    lms = LmsServices(services.uow)
    await services.lti.signing_key()

    async def scores(message: OutboxMessage) -> Result:
        """One completion can count on several graded course links (one score each)."""
        payloads = await services.lti.completion_scores(message)
        if not payloads:
            raise SkippedError("no graded course link counts this completion")
        sent = [await lms.send_score(p) for p in payloads]
        return {"scores": len(sent), "platforms": sorted({p["platform_id"] for p in payloads})}

    async def roster(message: OutboxMessage) -> Result:
        try:
            return await services.lti.deliver_roster(message)
        except PeerlearnError as exc:
            raise PermanentError(exc.message) from None

    registry.register(OutboxTopic.LMS_SCORE, scores)
    registry.register(OutboxTopic.LMS_ROSTER, roster)
