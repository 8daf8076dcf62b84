"""Adaptive Cards 1.5 the bot sends. Every builder returns a plain dict; user text is escaped.

Buttons are `Action.Execute` (Universal Actions) with a `verb` and `data`; clients that predate
Universal Actions fall back to `Action.Submit` carrying the same verb, which arrives as a message
with a `value` and is handled by the same code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
_MARKDOWN = re.compile(r"([\\`*_\[\]#|>~])")
_LIST_MARKER = re.compile(r"^(\s*)([-+]|\d+\.)(\s)")
COMMON_ZONES: tuple[str, ...] = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Istanbul",
    "Africa/Accra",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
)


def safe(text: object, limit: int = 300) -> str:
    """User text as literal card text: markdown escaped, `{{…}}` functions defused, bounded."""
    value = " ".join(str(text if text is not None else "").split())
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    value = _MARKDOWN.sub(r"\\\1", value).replace("{{", "{\u200b{")
    return _LIST_MARKER.sub(lambda m: m.group(1) + "\\" + m.group(2) + m.group(3), value)


def plain(text: object, limit: int = 300) -> str:
    """User text for places that do not render markdown (input values, fact titles)."""
    value = " ".join(str(text if text is not None else "").split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def card(body: list[dict[str, Any]], actions: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    result: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": "1.5",
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        result["actions"] = list(actions)
    return result


def text(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": value, "wrap": True, **style}


def heading(value: str) -> dict[str, Any]:
    return text(value, size="Large", weight="Bolder", style="heading")


def execute(
    title: str, verb: str, data: Mapping[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    payload = {"verb": verb, **(data or {})}
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": payload,
        "fallback": {"type": "Action.Submit", "title": title, "data": payload},
        **extra,
    }


def open_url(title: str, url: str) -> dict[str, Any]:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def chat_link(email: str) -> str:
    """Teams deep link that opens a 1:1 chat with `email`."""
    return "https://teams.microsoft.com/l/chat/0/0?users=" + quote(email, safe="@")


# the cards ------------------------------------------------------------------------------
def welcome_card(name: str, org_name: str) -> dict[str, Any]:
    return card(
        [
            heading(f"Hi {safe(name, 80)}, welcome to peerlearn"),
            text(f"Your colleagues at {safe(org_name, 80)} know a lot. I help you reach them:"),
            text(
                "- **Find** a colleague who knows a topic and ask them\n"
                "- **Book** their office hours in your own time zone\n"
                "- **Share** what you know with your communities"
            ),
            text("Type **help** at any time.", isSubtle=True),
        ],
        [
            execute("What can I do?", "help"),
            execute("My profile", "profile"),
        ],
    )


def team_welcome_card(org_name: str) -> dict[str, Any]:
    """When the app is added to a team or group chat: how to use it there."""
    return card(
        [
            heading("peerlearn is here"),
            text(f"Colleagues across {safe(org_name, 80)} can help. @mention me with a command:"),
            text(
                "- **find** kubernetes networking: who knows it, and their office hours\n"
                "- **ask** your question: earlier answers first, then the experts\n"
                "- **link community** Platform guild: post that community's news here"
            ),
        ],
        [execute("What can I do?", "help")],
    )


def help_card(entries: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """`entries` are (usage, what it does)."""
    facts = [{"title": plain(usage, 60), "value": safe(summary, 200)} for usage, summary in entries]
    return card(
        [
            heading("What I can do"),
            {"type": "FactSet", "facts": facts},
            text("Typos are fine, and in channels just @mention me first.", isSubtle=True),
        ],
        [execute("My profile", "profile")],
    )


def profile_card(
    name: str, email: str | None, time_zone: str, locale: str, zones: Sequence[str] = COMMON_ZONES
) -> dict[str, Any]:
    choices = list(dict.fromkeys([time_zone, *zones]))
    return card(
        [
            heading("Your profile"),
            {
                "type": "FactSet",
                "facts": [
                    {"title": "Name", "value": safe(name, 120)},
                    {"title": "Email", "value": safe(email or "not set", 120)},
                    {"title": "Time zone", "value": safe(time_zone, 64)},
                    {"title": "Language", "value": safe(locale, 35)},
                ],
            },
            {
                "type": "Input.ChoiceSet",
                "id": "time_zone",
                "label": "Show times in",
                "value": plain(time_zone, 64),
                "choices": [{"title": plain(z, 64), "value": plain(z, 64)} for z in choices],
                "isRequired": True,
                "errorMessage": "Pick a time zone",
            },
        ],
        [execute("Save time zone", "profile.set_time_zone")],
    )


def colleagues_card(query: str, people: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """People matching a name; each with a chat deep link when they have an email."""
    body: list[dict[str, Any]] = [heading(f"Colleagues matching “{safe(query, 80)}”")]
    if not people:
        body.append(text("Nobody by that name yet. Try part of a first or last name."))
    for person in people:
        body.append(person_container(person))
    return card(body)


def person_container(person: Mapping[str, Any]) -> dict[str, Any]:
    items: list[dict[str, Any]] = [
        text(safe(person.get("name"), 120), weight="Bolder"),
        text(safe(person.get("time_zone") or "", 64), isSubtle=True, spacing="None"),
    ]
    container: dict[str, Any] = {"type": "Container", "separator": True, "items": items}
    email = person.get("email")
    if email:
        container["items"].append(
            {"type": "ActionSet", "actions": [open_url("Chat", chat_link(str(email)))]}
        )
    return container


def person_card(person: Mapping[str, Any]) -> dict[str, Any]:
    return card([person_container(person)])


def notice_card(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A proactive notice from the outbox: a title, a text, optional facts and one link."""
    body: list[dict[str, Any]] = [heading(safe(payload.get("title") or "peerlearn", 120))]
    if payload.get("text"):
        body.append(text(safe(payload["text"], 1500)))
    facts = payload.get("facts")
    if isinstance(facts, list) and facts:
        rows = [
            {"title": plain(f[0], 60), "value": safe(f[1], 200)}
            for f in facts[:10]
            if isinstance(f, list | tuple) and len(f) == 2
        ]
        if rows:
            body.append({"type": "FactSet", "facts": rows})
    actions: list[dict[str, Any]] = []
    url = payload.get("url")
    if isinstance(url, str) and url.startswith("https://"):
        actions.append(open_url(plain(payload.get("url_title") or "Open", 40), url))
    return card(body, actions)


def info_card(title: str, message: str) -> dict[str, Any]:
    return card([heading(safe(title, 120)), text(safe(message, 1000))])


# experts, questions and office hours ------------------------------------------------------------
def experts_card(topic: str, experts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Ranked experts with their reasons, next free slot and what you can do next.

    Each expert: name, email, time_zone, reasons (list), next_free (local text or None),
    person_id.
    """
    body: list[dict[str, Any]] = [heading(f"Who knows about “{safe(topic, 100)}”")]
    if not experts:
        body.append(
            text("I found nobody for that yet. Try other words, or **ask** and I will route it.")
        )
    for rank, expert in enumerate(experts, 1):
        reasons = [str(r) for r in expert.get("reasons") or []][:3]
        items: list[dict[str, Any]] = [
            # "1\." so markdown does not turn the rank into a list
            text(f"{rank}\\. {safe(expert.get('name'), 120)}", weight="Bolder"),
        ]
        if reasons:
            items.append(text(safe("; ".join(reasons), 300), isSubtle=True, spacing="None"))
        free = expert.get("next_free")
        items.append(
            text(
                f"Next free office hours: {safe(free, 80)}" if free else "No open office hours",
                spacing="Small",
            )
        )
        actions: list[dict[str, Any]] = []
        if free:
            actions.append(
                execute("See times", "booking.slots", {"host_id": str(expert["person_id"])})
            )
        if expert.get("email"):
            actions.append(open_url("Chat", chat_link(str(expert["email"]))))
        if actions:
            items.append({"type": "ActionSet", "actions": actions})
        body.append({"type": "Container", "separator": True, "items": items})
    return card(
        body, [execute("Ask them my question", "question.ask", {"text": plain(topic, 1000)})]
    )


def slots_card(
    host_name: str,
    slots: Sequence[Mapping[str, Any]],
    time_zone: str,
    *,
    verb: str = "booking.book",
    extra: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Bookable slots of one host in the viewer's zone. Each: type_id, title, start (ISO), label.
    The same card moves a booking (`verb` booking.reschedule with the booking id in `extra`)."""
    body: list[dict[str, Any]] = [
        heading(f"Office hours with {safe(host_name, 120)}"),
        text(f"Times are in {safe(time_zone, 64)}.", isSubtle=True, spacing="None"),
    ]
    if not slots:
        body.append(text("No free times in the coming weeks."))
    actions: list[dict[str, Any]] = []
    for slot in slots[:6]:
        label = plain(slot["label"], 60)
        actions.append(
            execute(
                f"{label} · waitlist" if slot.get("full") else label,
                verb,
                {"type_id": str(slot["type_id"]), "start": str(slot["start"]), **(extra or {})},
            )
        )
    if slots:
        body.append(text(f"**{safe(slots[0]['title'], 120)}**"))
        body.append({"type": "ActionSet", "actions": actions})
    return card(body)


def booking_card(booking: Mapping[str, Any]) -> dict[str, Any]:
    """A booking as its holder sees it. Keys: id, title, host, when, status."""
    status = str(booking.get("status"))
    headline = {
        "confirmed": "You're booked",
        "pending": "Requested: waiting for the host",
        "waitlisted": "You're on the waitlist",
        "cancelled": "Cancelled",
        "declined": "Declined by the host",
    }.get(status, "Your booking")
    body = [
        heading(headline),
        {
            "type": "FactSet",
            "facts": [
                {"title": "What", "value": safe(booking.get("title"), 200)},
                {"title": "With", "value": safe(booking.get("host"), 120)},
                {"title": "When", "value": safe(booking.get("when"), 80)},
            ],
        },
    ]
    actions = []
    join = join_action(booking)
    if join:
        actions.append(join)
    if status in ("confirmed", "pending"):
        actions.append(
            execute("Reschedule", "booking.reschedule_times", {"booking_id": str(booking["id"])})
        )
    if status in ("confirmed", "pending", "waitlisted"):
        actions.append(execute("Cancel", "booking.cancel", {"booking_id": str(booking["id"])}))
    actions.append(execute("My bookings", "booking.mine"))
    return card(body, actions)


def bookings_card(bookings: Sequence[Mapping[str, Any]], time_zone: str) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        heading("Your upcoming office hours"),
        text(f"Times are in {safe(time_zone, 64)}.", isSubtle=True, spacing="None"),
    ]
    if not bookings:
        body.append(text("Nothing booked. Try **find** followed by a topic."))
    for b in bookings[:10]:
        items: list[dict[str, Any]] = [
            text(f"{safe(b.get('when'), 80)}: {safe(b.get('title'), 120)}", weight="Bolder"),
            text(
                f"with {safe(b.get('host'), 120)} · {safe(b.get('status'), 20)}",
                isSubtle=True,
                spacing="None",
            ),
            {
                "type": "ActionSet",
                "actions": [
                    *([join] if (join := join_action(b)) else []),
                    execute("Cancel", "booking.cancel", {"booking_id": str(b["id"])}),
                ],
            },
        ]
        body.append({"type": "Container", "separator": True, "items": items})
    return card(body)


def join_action(booking: Mapping[str, Any]) -> dict[str, Any] | None:
    """ "Join Teams meeting" when the booking's online meeting is known (an https Teams link)."""
    url = booking.get("join_url")
    if isinstance(url, str) and url.startswith("https://") and len(url) <= 2000:
        return open_url("Join Teams meeting", url)
    return None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def waitlist_card(booking: Mapping[str, Any]) -> dict[str, Any]:
    """A waitlist place. Keys: id, title, host, when, position (1 = next in line, or None)."""
    position = booking.get("position")
    place = (
        f"{_ordinal(int(position))} in line"
        if isinstance(position, int) and position > 0
        else "in line"
    )
    return card(
        [
            heading("You're on the waitlist"),
            {
                "type": "FactSet",
                "facts": [
                    {"title": "What", "value": safe(booking.get("title"), 200)},
                    {"title": "With", "value": safe(booking.get("host"), 120)},
                    {"title": "When", "value": safe(booking.get("when"), 80)},
                    {"title": "Your place", "value": place},
                ],
            },
            text("What happens next", weight="Bolder", spacing="Medium"),
            text(
                "When a seat frees up, the first in line gets it automatically. I will message "
                "you here, and you can keep the seat or give it back. Nothing to do until then."
            ),
        ],
        [
            execute("Leave the waitlist", "booking.cancel", {"booking_id": str(booking["id"])}),
            execute("My bookings", "booking.mine"),
        ],
    )


def seat_offered_card(fields: Mapping[str, Any], start: str | None) -> dict[str, Any]:
    """The proactive notice when a waitlist seat became yours: keep it or give it back."""
    facts = [{"title": "What", "value": safe(fields.get("title") or "office hours", 200)}]
    if start:
        facts.append({"title": "When", "value": safe(start, 80)})
    other = fields.get("other_person")
    if isinstance(other, Mapping) and other.get("name"):
        facts.append({"title": "With", "value": safe(other["name"], 120)})
    data = {"booking_id": str(fields.get("booking_id") or "")}
    pending = fields.get("status") == "pending"
    return card(
        [
            heading("A seat opened up for you"),
            {"type": "FactSet", "facts": facts},
            text(
                "The seat is held for you"
                + (", waiting for the host's approval." if pending else ".")
                + " Can't make it? Give it back so the next person in line gets it."
            ),
        ],
        [
            execute("Keep my seat", "booking.claim", data),
            execute("Give it back", "booking.release", data),
        ],
    )


def reuse_card(question_id: str, title: str, hits: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Answers and resources that may already help, before anyone is disturbed."""
    body: list[dict[str, Any]] = [heading(f"About “{safe(title, 120)}”")]
    if hits:
        body.append(text("Colleagues answered similar questions before:"))
        for hit in hits[:5]:
            items = [text(safe(hit.get("title"), 200), weight="Bolder")]
            if hit.get("answer"):
                items.append(text(safe(hit["answer"], 600), spacing="None"))
            hit_actions = []
            if isinstance(hit.get("url"), str) and hit["url"].startswith("https://"):
                hit_actions.append(open_url("Open", hit["url"]))
            # saying which one helped is what analytics count as the deflection's source
            source = {
                k: str(hit[k]) for k in ("question_id", "resource_id") if hit.get(k) is not None
            }
            if source:
                data = {"question_id": question_id}
                if "question_id" in source:
                    data["reused_question_id"] = source["question_id"]
                else:
                    data["resource_id"] = source["resource_id"]
                hit_actions.append(execute("This answered it", "question.resolved", data))
            if hit_actions:
                items.append({"type": "ActionSet", "actions": hit_actions})
            body.append({"type": "Container", "separator": True, "items": items})
        body.append(text("Did this answer it?", weight="Bolder"))
        actions = [
            execute("Yes, thanks", "question.resolved", {"question_id": question_id}),
            execute("No, ask the experts", "question.route", {"question_id": question_id}),
        ]
    else:
        body.append(text("Nobody asked this before. I can route it to colleagues who know."))
        actions = [execute("Ask the experts", "question.route", {"question_id": question_id})]
    return card(body, actions)


def offer_card(payload: Mapping[str, Any], due: str | None) -> dict[str, Any]:
    """A routed question for an expert: accept, decline with a reason, pass it on, or open it
    to answer (the request card)."""
    offer_id = str(payload.get("offer_id") or "")
    facts = [{"title": "Question", "value": safe(payload.get("title"), 300)}]
    if due:
        facts.append({"title": "Answer by", "value": safe(due, 80)})
    reasons = payload.get("reasons")
    if isinstance(reasons, list) and reasons:
        facts.append(
            {"title": "Why you", "value": safe("; ".join(str(r) for r in reasons[:3]), 300)}
        )
    return card(
        [
            heading("Can you help a colleague?"),
            {"type": "FactSet", "facts": facts},
            {
                "type": "Input.Text",
                "id": "reason",
                "label": "If you decline, tell us why (it helps route better)",
                "maxLength": 500,
                "isMultiline": True,
            },
            {
                "type": "Input.Text",
                "id": "colleague",
                "label": "Someone who knows better? Their email",
                "style": "Email",
                "maxLength": 320,
            },
        ],
        [
            execute("Accept", "offer.accept", {"offer_id": offer_id}),
            execute("Decline", "offer.decline", {"offer_id": offer_id}),
            execute("Suggest colleague", "offer.suggest", {"offer_id": offer_id}),
            *(
                [
                    execute(
                        "Answer it",
                        "requests.open",
                        {"offer_id": offer_id, "question_id": str(payload["question_id"])},
                    )
                ]
                if payload.get("question_id")
                else []
            ),
        ],
    )


def requests_card(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """An expert's open requests. Each row: offer_id, question_id, title, status, due (text)."""
    body: list[dict[str, Any]] = [heading("Questions for you")]
    if not rows:
        body.append(text("Nothing is waiting for you. Thank you for helping!"))
    for row in rows[:10]:
        state = "you accepted it" if row.get("status") == "accepted" else "waiting for you"
        due = f" · answer by {safe(row['due'], 80)}" if row.get("due") else ""
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    text(safe(row.get("title"), 200), weight="Bolder"),
                    text(f"{state}{due}", isSubtle=True, spacing="None"),
                    {
                        "type": "ActionSet",
                        "actions": [
                            execute(
                                "Open",
                                "requests.open",
                                {
                                    "offer_id": str(row["offer_id"]),
                                    "question_id": str(row["question_id"]),
                                },
                            )
                        ],
                    },
                ],
            }
        )
    return card(body)


def request_card(row: Mapping[str, Any]) -> dict[str, Any]:
    """One routed question for its expert: answer it, accept, decline with a reason, or pass it
    to a colleague. Keys: offer_id, question_id, title, body, status, due (text), asker."""
    data = {"offer_id": str(row["offer_id"]), "question_id": str(row["question_id"])}
    facts = [{"title": "Question", "value": safe(row.get("title"), 300)}]
    if row.get("asker"):
        facts.append({"title": "Asked by", "value": safe(row["asker"], 120)})
    if row.get("due"):
        facts.append({"title": "Answer by", "value": safe(row["due"], 80)})
    accepted = row.get("status") == "accepted"
    facts.append({"title": "Status", "value": "accepted" if accepted else "waiting for you"})
    body: list[dict[str, Any]] = [
        heading("A colleague asks"),
        {"type": "FactSet", "facts": facts},
    ]
    if row.get("body"):
        body.append(text(safe(row["body"], 1500)))
    body += [
        {
            "type": "Input.Text",
            "id": "answer",
            "label": "Your answer",
            "isMultiline": True,
            "maxLength": 5000,
        },
        {
            "type": "Input.Text",
            "id": "reason",
            "label": "If you decline, tell us why (it helps route better)",
            "maxLength": 500,
        },
        {
            "type": "Input.Text",
            "id": "colleague",
            "label": "Someone who knows better? Their email",
            "style": "Email",
            "maxLength": 320,
        },
    ]
    actions = [execute("Send answer", "offer.answer", data)]
    if not accepted:
        actions.append(execute("Accept", "offer.accept", data))
    actions += [
        execute("Decline", "offer.decline", data),
        execute("Suggest colleague", "offer.suggest", data),
        execute("My requests", "requests.mine"),
    ]
    return card(body, actions)


def thread_answer_card(title: str, author: str, answer: str) -> dict[str, Any]:
    """An expert's answer, posted back into the channel thread where the question was asked."""
    return card(
        [
            heading("Answered"),
            text(f"**{safe(title, 300)}**"),
            text(safe(answer, 3000)),
            text(f"Answer from {safe(author, 120)}", isSubtle=True, spacing="Small"),
        ]
    )


# communities -------------------------------------------------------------------------------
def communities_card(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Each row: id, name, purpose, members, status (active/pending/left/None)."""
    body: list[dict[str, Any]] = [heading("Communities")]
    if not rows:
        body.append(text("No communities yet."))
    for row in rows[:20]:
        status = row.get("status")
        label = {"active": "member", "pending": "waiting for approval"}.get(str(status), "")
        items: list[dict[str, Any]] = [
            text(f"{safe(row.get('name'), 120)}", weight="Bolder"),
            text(
                f"{int(row.get('members') or 0)} members" + (f" · {label}" if label else ""),
                isSubtle=True,
                spacing="None",
            ),
        ]
        if row.get("purpose"):
            items.append(text(safe(row["purpose"], 300), spacing="Small"))
        data = {"community_id": str(row["id"])}
        button = (
            execute("Leave", "community.leave", data)
            if status in ("active", "pending")
            else execute("Join", "community.join", data)
        )
        items.append({"type": "ActionSet", "actions": [button]})
        body.append({"type": "Container", "separator": True, "items": items})
    return card(body)


def share_form_card(communities: Sequence[Mapping[str, Any]], kind: str) -> dict[str, Any]:
    return card(
        [
            heading("Share with a community"),
            {
                "type": "Input.ChoiceSet",
                "id": "community_id",
                "label": "Community",
                "value": str(communities[0]["id"]),
                "choices": [
                    {"title": plain(c["name"], 120), "value": str(c["id"])} for c in communities
                ],
                "isRequired": True,
            },
            {
                "type": "Input.ChoiceSet",
                "id": "kind",
                "label": "What is it?",
                "value": kind,
                "style": "expanded",
                "choices": [
                    {"title": "A tip", "value": "tip"},
                    {"title": "A prompt", "value": "prompt"},
                    {"title": "A resource", "value": "resource"},
                ],
            },
            {
                "type": "Input.Text",
                "id": "title",
                "label": "Title",
                "maxLength": 200,
                "isRequired": True,
                "errorMessage": "Give it a title",
            },
            {
                "type": "Input.Text",
                "id": "body",
                "label": "The tip, prompt or link",
                "isMultiline": True,
                "maxLength": 5000,
            },
        ],
        [execute("Share", "community.share")],
    )


def library_card(query: str, hits: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    body: list[dict[str, Any]] = [heading(f"Library: “{safe(query, 80)}”")]
    if not hits:
        body.append(text("Nothing yet. Be the first: type **share**."))
    for hit in hits[:5]:
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    text(f"{safe(hit.get('title'), 200)}", weight="Bolder"),
                    text(safe(hit.get("kind"), 20), isSubtle=True, spacing="None"),
                    text(safe(hit.get("text"), 500), spacing="Small"),
                ],
            }
        )
    return card(body)


# expert tools ---------------------------------------------------------------------------------
LEVELS = (
    ("1", "1 · basics"),
    ("2", "2 · working"),
    ("3", "3 · solid"),
    ("4", "4 · deep"),
    ("5", "5 · go-to"),
)


def skills_card(skills: Mapping[str, int]) -> dict[str, Any]:
    body: list[dict[str, Any]] = [heading("Your skills")]
    if not skills:
        body.append(text("None yet. Add what colleagues can ask you about."))
    for name, level in sorted(skills.items(), key=lambda kv: (-kv[1], kv[0].lower()))[:30]:
        body.append(
            {
                "type": "ColumnSet",
                "separator": True,
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [text(f"{safe(name, 100)} · level {int(level)}")],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [
                            {
                                "type": "ActionSet",
                                "actions": [
                                    execute("Remove", "skills.remove", {"skill": plain(name, 100)})
                                ],
                            }
                        ],
                    },
                ],
            }
        )
    body += [
        {"type": "Input.Text", "id": "skill", "label": "Add a skill", "maxLength": 100},
        {
            "type": "Input.ChoiceSet",
            "id": "level",
            "label": "Level",
            "value": "3",
            "choices": [{"title": t, "value": v} for v, t in LEVELS],
        },
    ]
    return card(body, [execute("Add skill", "skills.add")])


def load_card(requests: int, request_cap: int, hours: float, hours_cap: float) -> dict[str, Any]:
    return card(
        [
            heading("Your week"),
            {
                "type": "FactSet",
                "facts": [
                    {"title": "Routed questions", "value": f"{requests} of {request_cap}"},
                    {"title": "Office hours", "value": f"{hours:.1f} h of {hours_cap:.1f} h"},
                ],
            },
            text(
                "Over your limits you are suggested less often. Type **pause 1 week** for a break.",
                isSubtle=True,
            ),
        ]
    )


def office_hours_card(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Each row: id, title, paused, rules (text), time_zone."""
    body: list[dict[str, Any]] = [heading("Your office hours")]
    if not rows:
        body.append(text("You offer none yet. Add weekly times below."))
    for row in rows[:10]:
        data = {"type_id": str(row["id"])}
        toggle = (
            execute("Resume", "hours.resume", data)
            if row.get("paused")
            else execute("Pause", "hours.pause", data)
        )
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    text(
                        f"{safe(row.get('title'), 200)}"
                        + (" · paused" if row.get("paused") else ""),
                        weight="Bolder",
                    ),
                    text(
                        f"{safe(row.get('rules') or 'no weekly times', 200)} ({safe(row.get('time_zone'), 64)})",
                        isSubtle=True,
                        spacing="None",
                    ),
                    {"type": "ActionSet", "actions": [toggle]},
                ],
            }
        )
    body += [
        text("Add weekly times", weight="Bolder", separator=True),
        {
            "type": "Input.Text",
            "id": "title",
            "label": "Title",
            "maxLength": 200,
            "value": "Office hours",
        },
        {
            "type": "Input.ChoiceSet",
            "id": "weekday",
            "label": "Day",
            "value": "tue",
            "choices": [
                {"title": d, "value": d[:3].lower()}
                for d in (
                    "Monday",
                    "Tuesday",
                    "Wednesday",
                    "Thursday",
                    "Friday",
                    "Saturday",
                    "Sunday",
                )
            ],
        },
        {"type": "Input.Time", "id": "start", "label": "From", "value": "10:00"},
        {"type": "Input.Time", "id": "end", "label": "To", "value": "11:00"},
    ]
    return card(body, [execute("Add", "hours.add")])


def rate_card(booking: Mapping[str, Any]) -> dict[str, Any]:
    """Rate a session that ended. Keys: id, title, host, when."""
    return card(
        [
            heading("How was it?"),
            text(
                f"{safe(booking.get('title'), 200)} with {safe(booking.get('host'), 120)}, "
                f"{safe(booking.get('when'), 80)}"
            ),
            {
                "type": "Input.ChoiceSet",
                "id": "stars",
                "label": "Stars",
                "value": "5",
                "style": "expanded",
                "choices": [{"title": "★" * n, "value": str(n)} for n in range(5, 0, -1)],
            },
            {
                "type": "Input.Text",
                "id": "comment",
                "label": "Anything the host should know? (optional)",
                "isMultiline": True,
                "maxLength": 2000,
            },
        ],
        [execute("Rate", "booking.rate", {"booking_id": str(booking["id"])})],
    )
