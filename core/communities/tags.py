"""The tag rule used until an organisation's skill vocabulary is wired in."""

from __future__ import annotations

import re
from collections.abc import Sequence
from uuid import UUID

from core.communities.model import tag_key

_TAG = re.compile(r"^[\w][\w+#.\-]{0,39}$", re.UNICODE)


class SlugTags:
    """Accepts short word-like tags (letters in any script, digits, `+ # . -`), canonicalised
    with `tag_key`; anything else (markup, spaces inside, over 40 characters) is unknown."""

    async def normalise(self, org_id: UUID, tags: Sequence[str]) -> tuple[list[str], list[str]]:
        known: list[str] = []
        unknown: list[str] = []
        for raw in tags:
            key = tag_key(raw)
            if _TAG.match(key):
                if key not in known:
                    known.append(key)
            else:
                unknown.append(raw[:60])
        return known, unknown
