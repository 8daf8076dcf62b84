"""Glue between expertise and its neighbours: evidence from communities and office hours,
library resources for answer reuse. Lives in `app/` because siblings never import each other."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from core.communities.service import CommunitiesService
from core.expertise.ports import ResourceHit
from core.expertise.service import ExpertiseService

log = logging.getLogger(__name__)

#: other features' names for activity → the expertise evidence kinds
EVIDENCE_KINDS = {
    "resource_written": "resource",
    "resource": "resource",
    "accepted_answer": "accepted_answer",
    "answer": "answer",
    "demo_given": "demo",
    "demo": "demo",
    "office_hours_held": "office_hours",
    "office_hours": "office_hours",
}


class ExpertiseEvidence:
    """The evidence sink other features call; unknown kinds are ignored with a log line."""

    def __init__(self, expertise: ExpertiseService) -> None:
        self._expertise = expertise

    async def record(
        self,
        org_id: UUID,
        person_id: UUID,
        kind: str,
        reference: str,
        tags: Sequence[str],
        at: datetime,
    ) -> None:
        mapped = EVIDENCE_KINDS.get(kind)
        if mapped is None:
            log.info("no expertise evidence kind for %r", kind)
            return
        await self._expertise.record_evidence(
            org_id, person_id, mapped, ref=reference[:200], skills=list(tags)[:20], occurred_at=at
        )


class LibraryResources:
    """Answer reuse searches the communities' library (open communities only)."""

    def __init__(self, communities: CommunitiesService) -> None:
        self._communities = communities

    async def search(self, org_id: UUID, text: str, limit: int) -> Sequence[ResourceHit]:
        results = await self._communities.search_resources(org_id, text, limit)
        return [
            ResourceHit(
                id=str(r.post.id),
                title=r.post.title,
                score=round(r.similarity, 3),
                url=r.post.url,
                extra={"kind": str(r.post.kind), "community_id": str(r.post.community_id)},
            )
            for r in results
        ]
