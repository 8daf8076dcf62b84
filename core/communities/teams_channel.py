"""What a Teams channel request for a community may say: the team it goes into and a channel
name Teams accepts (at most 50 characters, none of ~ # % & * { } + / \\ : < > ? | ' " , and no
leading underscore or period, no trailing period)."""

from __future__ import annotations

import re
from uuid import UUID

from core.errors import InvalidInput

CHANNEL_NAME_MAX = 50
_FORBIDDEN = re.compile(r"""[~#%&*{}+/\\:<>?|'",\x00-\x1f]+""")


def clean_team_id(value: object) -> str:
    """A team is a Microsoft 365 group: its id is a GUID."""
    try:
        return str(UUID(str(value).strip()))
    except ValueError:
        raise InvalidInput(
            "team_id is the Teams team's id (a GUID such as 1b7a3c1e-…, from Teams: "
            "Get link to team, groupId)"
        ) from None


def channel_display_name(value: str) -> str:
    """`value` (usually the community's name) as a valid channel name."""
    name = " ".join(_FORBIDDEN.sub(" ", value).replace("..", ".").split())
    name = name.lstrip("_.").strip()[:CHANNEL_NAME_MAX].rstrip(". ")
    if not name:
        raise InvalidInput("the channel name needs some letters or digits")
    return name
