"""Teams' send limits as data every process shares.

Teams allows a bot, per conversation: 7 sends a second, 8 per 2 s, 60 per 30 s and 1800 an
hour; and per app and tenant: 50 requests a second, whatever the conversation. `SendHistory` is
what one conversation (or one tenant) has used: exact send times for the short windows,
per-minute counts for the hour (counted generously, so the estimate errs on the safe side), and
the time Teams itself asked us to wait until (a 429's Retry-After). It is stored per
conversation and per tenant, so every worker sees every other worker's sends.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

TEAMS_WINDOWS: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
#: windows up to this long are checked against exact send times; longer ones by minute counts
EXACT_SPAN = 60.0
#: senders that must wait are handed times this far apart (60 per 30 s, sustained)
QUEUE_SPACING = 0.5
#: Teams' global limit per app per tenant: 50 requests a second
TENANT_WINDOWS: tuple[tuple[float, int], ...] = ((1.0, 50),)
#: senders waiting for the tenant's budget are handed times this far apart (50 a second)
TENANT_QUEUE_SPACING = 1.0 / 50


def tenant_key(tenant_id: str) -> str:
    """The tenant's shared budget, stored next to the conversations' (whose ids never start
    with `tenant:`); sends without a known tenant share one budget."""
    return f"tenant:{tenant_id}"


def send_key(conversation_id: str) -> str:
    """Replies in a channel thread count against the channel: `…;messageid=…` is dropped."""
    return conversation_id.split(";messageid=", 1)[0]


@dataclass(frozen=True)
class SendHistory:
    #: POSIX seconds of the sends in the last `EXACT_SPAN` seconds, oldest first
    recent: tuple[float, ...] = ()
    #: (minute number since the epoch, sends in it) for the last hour, oldest first
    minutes: tuple[tuple[int, int], ...] = ()
    #: nothing may be sent before this POSIX time (Teams answered 429 with Retry-After)
    not_before: float = 0.0
    #: the latest time handed to a sender that had to wait: the next one to wait is spaced
    #: after it, so a burst comes back spread out instead of all at once
    queued_until: float = 0.0

    def delay(self, now: float, windows: tuple[tuple[float, int], ...] = TEAMS_WINDOWS) -> float:
        """Seconds until one more send stays within every window (0 when it may go now)."""
        wait = max(0.0, self.not_before - now)
        for seconds, limit in windows:
            if seconds <= EXACT_SPAN:
                inside = [t for t in self.recent if now - t < seconds]
                if len(inside) >= limit:
                    # the send that must leave the window before one more fits
                    wait = max(wait, inside[len(inside) - limit] + seconds - now)
                continue
            # a minute bucket counts while any part of it is inside the window
            counted = [(m, n) for m, n in self.minutes if (m + 1) * 60 > now - seconds]
            total = sum(n for _, n in counted)
            for m, n in counted:
                if total < limit:
                    break
                total -= n
                wait = max(wait, (m + 1) * 60 + seconds - now)
        return wait

    def record(self, now: float, span: float = 3600.0) -> SendHistory:
        """One more send at `now`; `span` is the longest window it is counted for (a tenant's
        budget keeps one second of sends, not an hour's)."""
        keep = min(span, EXACT_SPAN)
        recent = (*(t for t in self.recent if now - t < keep), now)
        if span <= EXACT_SPAN:
            return SendHistory(recent, (), self.not_before, self.queued_until)
        minute = math.floor(now / 60)
        kept = [(m, n) for m, n in self.minutes if m > minute - 62]
        if kept and kept[-1][0] == minute:
            kept[-1] = (minute, kept[-1][1] + 1)
        else:
            kept.append((minute, 1))
        return SendHistory(recent, tuple(kept), self.not_before, self.queued_until)

    def hold(self, until: float) -> SendHistory:
        return SendHistory(
            self.recent, self.minutes, max(self.not_before, until), self.queued_until
        )

    def queue(
        self, now: float, wait: float, spacing: float = QUEUE_SPACING
    ) -> tuple[float, SendHistory]:
        """A sender that must wait gets a time of its own: `wait` from now, and at least
        `spacing` after the last one handed out. Returns (seconds to wait, new history)."""
        slot = max(now + wait, self.queued_until + spacing)
        return slot - now, SendHistory(self.recent, self.minutes, self.not_before, slot)

    def to_json(self) -> str:
        return json.dumps(
            {
                "recent": [round(t, 3) for t in self.recent],
                "minutes": [list(m) for m in self.minutes],
                "not_before": round(self.not_before, 3),
                "queued_until": round(self.queued_until, 3),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str) -> SendHistory:
        """Unreadable history is treated as empty (the 429 backoff still protects Teams)."""
        try:
            data = json.loads(raw)
            return cls(
                tuple(float(t) for t in data.get("recent", [])),
                tuple((int(m), int(n)) for m, n in data.get("minutes", [])),
                float(data.get("not_before", 0.0)),
                float(data.get("queued_until", 0.0)),
            )
        except (ValueError, TypeError, AttributeError):
            return cls()
