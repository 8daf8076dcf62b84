"""Glue between communities and their neighbours: tags from the expertise feature's shared
skill vocabulary. Lives in `app/` because sibling features never import each other."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from core.expertise.service import ExpertiseService


class SkillVocabularyTags:
    """`core.communities.ports.TagVocabulary` over the organisation's skill vocabulary: a tag
    is known when it names a skill or one of its aliases, and is stored as the skill's name."""

    def __init__(self, expertise: ExpertiseService) -> None:
        self._expertise = expertise

    async def normalise(self, org_id: UUID, tags: Sequence[str]) -> tuple[list[str], list[str]]:
        ids, unknown = await self._expertise.resolve_tags(org_id, tags, strict=False)
        if not ids:
            return [], list(unknown)
        names = {s.id: s.name for s in await self._expertise.skills(org_id)}
        return [names[i] for i in ids if i in names], list(unknown)
