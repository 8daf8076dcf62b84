"""Proactive notices: an outbox NOTIFY payload (`template` + fields) → an Adaptive Card.

Times are shown in the recipient's time zone. Unknown templates still produce a readable card
so a newer writer never strands a notice on an older bot.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot import cards
from core.errors import PeerlearnError
from core.timezones import to_local, zone

_BOOKING_TITLES = {
    "booking_confirmed": "Booked: {title}",
    "booking_received": "New booking: {title}",
    "booking_requested": "Requested: {title}",
    "approval_requested": "Approval needed: {title}",
    "waitlist_joined": "On the waitlist: {title}",
    "waitlist_promoted": "A seat opened up: {title}",
    "booking_cancelled": "Cancelled: {title}",
    "booking_rescheduled": "Moved: {title}",
    "booking_approved": "Approved: {title}",
    "booking_declined": "Declined: {title}",
    "booking_reminder": "Starting soon: {title}",
}
_EXPERTISE = {
    "expertise.question_routed": (
        "Your question is with the experts",
        "I asked colleagues who know this topic; you will hear from them here.",
    ),
    "expertise.no_expert_available": (
        "No expert available yet",
        "Nobody could take your question right now. I will keep trying.",
    ),
    "expertise.question_offered": (
        "Can you help a colleague?",
        "A colleague asked something you know about.",
    ),
    "expertise.expert_accepted": (
        "An expert took your question",
        "They will answer or reach out to you.",
    ),
    "expertise.colleague_suggested": (
        "Your question was passed on",
        "An expert suggested a colleague who knows more.",
    ),
    "expertise.question_answered": (
        "Your question has an answer",
        "Open peerlearn to read it and tell us if it helped.",
    ),
    "expertise.answer_accepted": (
        "Your answer helped",
        "The person who asked marked your answer as the solution. Thank you!",
    ),
}


def when(iso: object, zone_name: str) -> str | None:
    """`2026-03-24T09:00:00+00:00` → `Tue 24 Mar, 10:00 (Europe/Berlin)`."""
    if not isinstance(iso, str):
        return None
    try:
        moment = datetime.fromisoformat(iso)
        zone(zone_name)
        local = to_local(moment, zone_name)
    except (ValueError, PeerlearnError):
        return None
    return f"{local:%a %d %b, %H:%M} ({zone_name})"


def render(payload: Mapping[str, Any], time_zone: str = "UTC") -> dict[str, Any]:
    template = str(payload.get("template") or "")
    nested = payload.get("fields")
    fields: Mapping[str, Any] = nested if isinstance(nested, dict) else payload
    if template == "waitlist_promoted" and fields.get("booking_id"):
        return cards.seat_offered_card(fields, when(fields.get("start_utc"), time_zone))
    if template in _BOOKING_TITLES:
        return _booking(template, fields, time_zone)
    if payload.get("kind") == "show_and_tell_agenda":
        return _agenda(payload, time_zone)
    if template == "expertise.question_offered" and fields.get("offer_id"):
        return cards.offer_card(fields, when(fields.get("due_at"), time_zone))
    if template in _EXPERTISE:
        title, text = _EXPERTISE[template]
        facts: list[list[str]] = []
        if isinstance(fields.get("title"), str):
            facts.append(["Question", fields["title"]])
        due = when(fields.get("due_at"), time_zone)
        if due:
            facts.append(["Answer by", due])
        reasons = fields.get("reasons")
        if isinstance(reasons, list) and reasons:
            facts.append(["Why you", "; ".join(str(r) for r in reasons[:3])])
        return cards.notice_card({"title": title, "text": text, "facts": facts})
    return cards.notice_card(
        {
            "title": fields.get("title") or "An update from peerlearn",
            "text": fields.get("text") or "Open peerlearn for the details.",
        }
    )


def _booking(template: str, fields: Mapping[str, Any], time_zone: str) -> dict[str, Any]:
    title = str(fields.get("title") or "office hours")
    facts: list[list[str]] = []
    start = when(fields.get("start_utc"), time_zone)
    if start:
        facts.append(["When", start])
    other = fields.get("other_person")
    if isinstance(other, dict) and other.get("name"):
        facts.append(["With", str(other["name"])])
    if fields.get("reason"):
        facts.append(["Reason", str(fields["reason"])])
    return cards.notice_card(
        {"title": _BOOKING_TITLES[template].format(title=title), "facts": facts}
    )


def _agenda(payload: Mapping[str, Any], time_zone: str) -> dict[str, Any]:
    """A community's show-and-tell agenda, sent to members before the session."""
    facts: list[list[str]] = []
    start = when(payload.get("start"), time_zone)
    if start:
        facts.append(["When", start])
    demos = payload.get("demos")
    titles = (
        [str(d.get("title") or "") for d in demos if isinstance(d, dict)]
        if isinstance(demos, list)
        else []
    )
    for index, title in enumerate([t for t in titles if t][:8], 1):
        facts.append([f"Demo {index}", title])
    attending = payload.get("attending")
    if isinstance(attending, int) and not isinstance(attending, bool) and attending > 0:
        facts.append(["Coming to watch", str(attending)])
    card = cards.notice_card(
        {
            "title": f"Show and tell in {payload.get('community') or 'your community'}",
            "text": "Here is what colleagues will show." if titles else "Bring something to show!",
            "facts": facts,
        }
    )
    if start and isinstance(payload.get("community_id"), str):
        # come and watch (no demo needed), or give the place up again
        data = {"community_id": payload["community_id"], "start": payload["start"]}
        card.setdefault("actions", []).extend(
            [
                cards.execute("Attend", "showandtell.attend", data),
                cards.execute("Can't come", "showandtell.leave", data),
            ]
        )
    return card
