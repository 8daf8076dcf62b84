"""Learner views of the course page beyond booking: waitlist places, rescheduling, a question
with its answers (and answering it), and the course community's show-and-tell.

Forms follow post/redirect/get and carry the page session's CSRF token; times are shown in the
viewer's zone; everything a learner acts on is checked to be theirs or the course's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from aiohttp import web

from core.errors import PeerlearnError
from core.ids import parse_id
from core.lti.errors import LtiBadRequest, LtiRejected
from core.lti.model import CourseView, LtiSession
from core.officehours.model import Booking
from core.services import Services
from lti.common import (
    back,
    checked_form,
    ensure_member,
    local_time,
    page_context,
    people_of,
    services_of,
    session_of,
)
from lti.pages import render

#: free times offered when moving a booking, and show-and-tell sessions listed
RESCHEDULE_SLOTS = 12
SHOW_AND_TELL_SHOWN = 4


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# bookings and waitlist places -----------------------------------------------------------------
async def booking_rows(
    services: Services, session: LtiSession, view: CourseView, zone: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The viewer's upcoming bookings (with the Teams join link once the calendar has one) and
    their waitlist places with their place in line."""
    titles = {t.id: t.title for t in view.kinds}
    booked: list[dict[str, Any]] = []
    waiting: list[dict[str, Any]] = []
    for b in view.bookings:
        row = {
            "booking": b,
            "title": titles.get(b.type_id, ""),
            "when": local_time(b.start_utc, zone),
        }
        if b.status in ("pending", "confirmed"):
            booked.append(row)
        elif b.status == "waitlisted":
            line = await services.office_hours.waitlist(
                session.organisation_id, b.type_id, b.start_utc
            )
            place = next((i for i, w in enumerate(line, 1) if w.id == b.id), None)
            row["place"] = _ordinal(place) if place else ""
            row["ahead"] = (place - 1) if place else None
            waiting.append(row)
    return booked, waiting


async def _own_booking(request: web.Request, session: LtiSession, booking_id: UUID) -> Booking:
    booking = await services_of(request).office_hours.get_booking(
        session.organisation_id, booking_id
    )
    if booking.person_id != session.person_id:
        raise LtiRejected("booking", "that booking is not yours")
    return booking


async def leave_waitlist(request: web.Request) -> web.Response:
    session = await session_of(request)
    form = await checked_form(request, session)
    booking = await _own_booking(request, session, parse_id(form.get("booking_id", ""), "booking"))
    if booking.status != "waitlisted":
        raise LtiBadRequest("booking", "that is not a waitlist place")
    await services_of(request).office_hours.cancel(
        session.organisation_id,
        booking.id,
        "left the waitlist from the course",
        by=session.person_id,
    )
    return back(request, "You left the waitlist.")


async def reschedule_page(request: web.Request) -> web.Response:
    session = await session_of(request)
    services = services_of(request)
    org = session.organisation_id
    booking = await _own_booking(
        request, session, parse_id(request.match_info["booking"], "booking")
    )
    if booking.status not in ("pending", "confirmed"):
        raise LtiBadRequest("booking", "only a pending or confirmed booking can be moved")
    person = await services.people.get_person(org, session.person_id)
    kind = await services.office_hours.get_type(org, booking.type_id)
    now = services.clock.now()
    free = await services.office_hours.slots(
        org, kind.id, now, now + timedelta(days=21), include_full=False
    )
    zone = person.time_zone
    slots = [
        {"iso": s.start_utc.isoformat(), "label": local_time(s.start_utc, zone)}
        for s in free
        if s.start_utc != booking.start_utc
    ][:RESCHEDULE_SLOTS]
    return render(
        "reschedule.html",
        booking=booking,
        kind=kind,
        when=local_time(booking.start_utc, zone),
        slots=slots,
        **page_context(request, session, request.match_info["token"], person),
    )


async def reschedule(request: web.Request) -> web.Response:
    session = await session_of(request)
    form = await checked_form(request, session)
    booking = await _own_booking(request, session, parse_id(form.get("booking_id", ""), "booking"))
    start = _aware_time(form.get("start", ""))
    services = services_of(request)
    moved = await services.office_hours.reschedule(session.organisation_id, booking.id, start)
    person = await services.people.get_person(session.organisation_id, session.person_id)
    return back(request, f"Moved to {local_time(moved.start_utc, person.time_zone)}.")


def _aware_time(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise LtiBadRequest("start", "pick one of the offered times") from None
    if when.tzinfo is None:
        raise LtiBadRequest("start", "pick one of the offered times")
    return when


# questions and answers ------------------------------------------------------------------------
async def can_contribute(services: Services, session: LtiSession, community_id: UUID) -> bool:
    """Whether the viewer may answer and sign up in the community: an active member."""
    found = await services.communities.get_community(
        session.organisation_id, community_id, session.person_id
    )
    return contributes(found)


def contributes(found: Any) -> bool:
    """An active member of a community that is not archived."""
    membership = found.membership
    return bool(membership and membership.active and not found.community.archived)


async def _course_question(request: web.Request, session: LtiSession, question_id: UUID) -> Any:
    services = services_of(request)
    found = await services.communities.get_question(
        session.organisation_id, question_id, session.person_id
    )
    view = await services.lti.course_view(session)
    if found.question.community_id not in view.community_ids:
        raise LtiRejected("question", "that question is not from this course's community")
    return found


async def question_page(request: web.Request) -> web.Response:
    session = await session_of(request)
    services = services_of(request)
    org = session.organisation_id
    found = await _course_question(
        request, session, parse_id(request.match_info["question"], "question")
    )
    question = found.question
    person = await services.people.get_person(org, session.person_id)
    authors = {
        p.id: p.name
        for p in await people_of(
            services, org, list({question.asker_id, *(a.author_id for a in found.answers)})
        )
    }
    zone = person.time_zone
    return render(
        "question.html",
        question=question,
        asker=authors.get(question.asker_id, ""),
        asked=local_time(question.created_at, zone),
        answers=[
            {
                "answer": a,
                "author": authors.get(a.author_id, ""),
                "when": local_time(a.created_at, zone),
            }
            for a in found.answers
        ],
        can_answer=await can_contribute(services, session, question.community_id),
        notice=request.query.get("notice", "")[:200],
        **page_context(request, session, request.match_info["token"], person),
    )


async def answer(request: web.Request) -> web.Response:
    session = await session_of(request)
    form = await checked_form(request, session)
    question_id = parse_id(form.get("question_id", ""), "question")
    found = await _course_question(request, session, question_id)
    services = services_of(request)
    if not await can_contribute(services, session, found.question.community_id):
        raise LtiRejected("member", "join the community to answer its questions")
    await services.communities.answer(
        session.organisation_id, question_id, session.person_id, form.get("body", "")
    )
    return back(request, "Your answer is posted.", f"/questions/{question_id}")


# show-and-tell -------------------------------------------------------------------------------
async def show_and_tell(
    services: Services,
    session: LtiSession,
    community_id: UUID,
    zone: str,
    view: CourseView | None = None,
) -> dict[str, Any] | None:
    """The community's next show-and-tell sessions, the next one's agenda and audience, and
    which sessions the viewer comes to watch (from their bookings in `view`, already read for
    the page); None when the community holds none."""
    org, viewer = session.organisation_id, session.person_id
    try:
        starts = await services.communities.upcoming_show_and_tell(
            org, community_id, viewer, count=SHOW_AND_TELL_SHOWN
        )
    except PeerlearnError:
        # no show-and-tell in this community, or not readable by the viewer
        return None
    if not starts:
        return None
    agenda = await services.communities.agenda(org, community_id, starts[0], viewer)
    shown = [d.person_id for d in (*agenda.demos, *agenda.audience)]
    names = {p.id: p.name for p in await people_of(services, org, shown)}
    watching = {s.start for s in agenda.audience if s.person_id == viewer}
    if view is not None:
        watching |= {
            b.start_utc
            for b in view.bookings
            if b.audience and b.type_id == agenda.session_id and b.status == "confirmed"
        }
    sessions = [
        {"iso": s.isoformat(), "label": local_time(s, zone), "watching": s in watching}
        for s in starts
    ]
    return {
        "sessions": sessions,
        "demos": [{"who": names.get(d.person_id, ""), "title": d.note} for d in agenda.demos],
        "waiting": len(agenda.waitlist),
        "audience": [names.get(a.person_id, "") for a in agenda.audience],
        "mine": any(d.person_id == viewer for d in (*agenda.demos, *agenda.waitlist)),
    }


async def sign_up_demo(request: web.Request) -> web.Response:
    session = await session_of(request)
    form = await checked_form(request, session)
    services = services_of(request)
    community_id = parse_id(form.get("community_id", ""), "community")
    if community_id not in (await services.lti.course_view(session)).community_ids:
        raise LtiRejected("community", "that community is not part of this course")
    start = _aware_time(form.get("start", ""))
    await ensure_member(services, session, community_id)
    seat = await services.communities.sign_up_demo(
        session.organisation_id, community_id, session.person_id, start, form.get("title", "")
    )
    person = await services.people.get_person(session.organisation_id, session.person_id)
    when = local_time(seat.start, person.time_zone)
    if seat.status == "waitlisted":
        return back(request, f"The show-and-tell on {when} is full: you are on its waitlist.")
    return back(request, f"You are on the show-and-tell agenda for {when}.")


async def attend_show_and_tell(request: web.Request) -> web.Response:
    """Come and watch one session (joining the course community when needed)."""
    session = await session_of(request)
    form = await checked_form(request, session)
    services = services_of(request)
    community_id = await _course_community_id(request, session, form)
    start = _aware_time(form.get("start", ""))
    await ensure_member(services, session, community_id)
    seat = await services.communities.attend_show_and_tell(
        session.organisation_id, community_id, session.person_id, start
    )
    person = await services.people.get_person(session.organisation_id, session.person_id)
    when = local_time(seat.start, person.time_zone)
    if not seat.audience:
        return back(request, f"You demo at the show-and-tell on {when}, so you are there already.")
    return back(
        request,
        f"You are coming to watch the show-and-tell on {when}; "
        "the invitation is on its way to your calendar.",
    )


async def leave_show_and_tell(request: web.Request) -> web.Response:
    session = await session_of(request)
    form = await checked_form(request, session)
    services = services_of(request)
    community_id = await _course_community_id(request, session, form)
    start = _aware_time(form.get("start", ""))
    left = await services.communities.leave_show_and_tell(
        session.organisation_id, community_id, session.person_id, start
    )
    if left is None:
        return back(request, "You were not signed up to watch that session.")
    person = await services.people.get_person(session.organisation_id, session.person_id)
    return back(
        request,
        f"You no longer attend the show-and-tell on {local_time(left.start, person.time_zone)}.",
    )


async def _course_community_id(request: web.Request, session: LtiSession, form: Any) -> UUID:
    community_id = parse_id(form.get("community_id", ""), "community")
    services = services_of(request)
    if community_id not in (await services.lti.course_view(session)).community_ids:
        raise LtiRejected("community", "that community is not part of this course")
    return community_id


def add_routes(app: web.Application) -> None:
    app.router.add_post("/lti/app/{token}/waitlist/leave", leave_waitlist)
    app.router.add_get("/lti/app/{token}/reschedule/{booking}", reschedule_page)
    app.router.add_post("/lti/app/{token}/reschedule", reschedule)
    app.router.add_get("/lti/app/{token}/questions/{question}", question_page)
    app.router.add_post("/lti/app/{token}/answer", answer)
    app.router.add_post("/lti/app/{token}/show-and-tell", sign_up_demo)
    app.router.add_post("/lti/app/{token}/show-and-tell/attend", attend_show_and_tell)
    app.router.add_post("/lti/app/{token}/show-and-tell/leave", leave_show_and_tell)


__all__: Sequence[str] = (
    "add_routes",
    "booking_rows",
    "can_contribute",
    "contributes",
    "show_and_tell",
)
