"""`peerlearn officehours …`: list office hours, show slots in any zone, book, list and cancel."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import click

from app.cli import Context, fail, pass_ctx, run
from core.errors import PersonNotFound
from core.ids import parse_id
from core.officehours.model import WEEKDAYS, Booking
from core.services import Services
from core.timezones import ensure_utc, zone


async def _person_id(s: Services, org_id: UUID, ref: str) -> UUID:
    """A person by email or id."""
    async with s.uow() as uow:
        if "@" in ref:
            person = await uow.people.get_by_email(org_id, ref.strip().lower())
        else:
            person = await uow.people.get(org_id, parse_id(ref, "person"))
    if person is None:
        raise PersonNotFound(f"no person '{ref}' in this organisation")
    return person.id


def _when(value: str, name: str) -> datetime:
    try:
        return ensure_utc(datetime.fromisoformat(value))
    except ValueError:
        fail(f"{name} is a time with an offset, such as 2026-03-24T09:00:00+01:00")
        raise


def _booking_line(b: Booking, tz: str) -> str:
    local = b.start_utc.astimezone(zone(tz))
    where = f" #{b.waitlist_position}" if b.status == "waitlisted" else ""
    return f"{b.id}  {local:%a %Y-%m-%d %H:%M %Z}  {b.status}{where}"


@click.group("officehours")
def officehours_group() -> None:
    """Experts' office hours: slots, bookings and waitlists."""


@officehours_group.command("ls")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--host", "host_ref", default=None, help="Only this expert (email or id).")
@click.option("--all", "include_inactive", is_flag=True, help="Include paused and archived.")
@pass_ctx
def officehours_ls(
    ctx: Context, org_ref: str, host_ref: str | None, include_inactive: bool
) -> None:
    """List office hours with their host, zone, weekly rules and capacity."""

    async def work(s: Services) -> list[str]:
        org = await s.people.organisation(org_ref)
        host_id = await _person_id(s, org.id, host_ref) if host_ref else None
        types = await s.office_hours.list_types(org.id, host_id, include_inactive)
        hosts = {p.id: p for p in await s.people.list_people(org.id, limit=500)}
        lines = []
        for t in types:
            rules = ", ".join(
                f"{WEEKDAYS[r.weekday]} {r.window.label}"
                for r in sorted(t.rules, key=lambda r: (r.weekday, r.window.start))
            )
            state = " [paused]" if t.paused else (" [archived]" if t.archived else "")
            host = hosts[t.host_id].name if t.host_id in hosts else str(t.host_id)
            lines.append(
                f"{t.id}  {t.title}{state}\n    host {host} ({t.time_zone}); "
                f"{t.slot_minutes} min, {t.capacity} seat(s); {rules}"
            )
        return lines

    lines = run(ctx, work)
    if not lines:
        click.echo("no office hours yet")
    for line in lines:
        click.echo(line)


@officehours_group.command("slots")
@click.argument("type_id")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--days", type=click.IntRange(1, 93), default=7, show_default=True)
@click.option("--from", "start", default=None, help="Start (ISO time with offset; default now).")
@click.option("--tz", default="UTC", show_default=True, help="Show times in this IANA zone.")
@click.option("--free-only", is_flag=True, help="Hide full slots (those only take a waitlist).")
@pass_ctx
def officehours_slots(
    ctx: Context, type_id: str, org_ref: str, days: int, start: str | None, tz: str, free_only: bool
) -> None:
    """Show the slots of one office-hours type in your zone."""

    async def work(s: Services) -> list[str]:
        zone(tz)
        org = await s.people.organisation(org_ref)
        begin = _when(start, "--from") if start else s.clock.now()
        slots = await s.office_hours.slots(
            org.id,
            parse_id(type_id, "office hours id"),
            begin,
            begin + timedelta(days=days),
            include_full=not free_only,
        )
        z = zone(tz)
        return [
            f"{x.start_utc.astimezone(z):%a %Y-%m-%d %H:%M}–{x.end_utc.astimezone(z):%H:%M} {tz}  "
            f"{x.start_utc.isoformat()}  "
            + ("full (waitlist)" if x.seats_left == 0 else f"{x.seats_left}/{x.capacity} free")
            for x in slots
        ]

    lines = run(ctx, work)
    if not lines:
        click.echo("no slots in that period")
    for line in lines:
        click.echo(line)


@officehours_group.command("book")
@click.argument("type_id")
@click.argument("start")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--person", "person_ref", required=True, help="Who books (email or id).")
@click.option("--answer", "answers", multiple=True, help="Answer a question: KEY=TEXT.")
@click.option("--note", default="", help="A note for the expert.")
@click.option("--idempotency-key", default=None, help="Retrying with the same key books once.")
@click.option("--no-waitlist", is_flag=True, help="Fail instead of joining a full slot's waitlist.")
@pass_ctx
def officehours_book(
    ctx: Context,
    type_id: str,
    start: str,
    org_ref: str,
    person_ref: str,
    answers: tuple[str, ...],
    note: str,
    idempotency_key: str | None,
    no_waitlist: bool,
) -> None:
    """Book a slot for someone; a full slot puts them on its waitlist.

    START is the slot's start with an offset, as `officehours slots` prints it,
    for example 2026-03-24T09:00:00+01:00.
    """
    parsed: dict[str, str] = {}
    for item in answers:
        key, sep, text = item.partition("=")
        if not sep:
            fail("--answer is KEY=TEXT")
        parsed[key.strip()] = text
    when = _when(start, "START")

    async def work(s: Services) -> str:
        org = await s.people.organisation(org_ref)
        pid = await _person_id(s, org.id, person_ref)
        result = await s.office_hours.book(
            org.id,
            parse_id(type_id, "office hours id"),
            pid,
            when,
            answers=parsed,
            note=note,
            idempotency_key=idempotency_key,
            join_waitlist=not no_waitlist,
        )
        person = await s.people.get_person(org.id, pid)
        prefix = "already booked: " if result.replayed else ""
        return prefix + _booking_line(result.booking, person.time_zone)

    click.echo(run(ctx, work))


@officehours_group.command("bookings")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--person", "person_ref", default=None, help="Someone's bookings (email or id).")
@click.option("--host", "host_ref", default=None, help="An expert's sessions (email or id).")
@click.option("--past", is_flag=True, help="Include past sessions.")
@pass_ctx
def officehours_bookings(
    ctx: Context, org_ref: str, person_ref: str | None, host_ref: str | None, past: bool
) -> None:
    """List bookings and waitlist places, in that person's zone."""
    if bool(person_ref) == bool(host_ref):
        fail("pass exactly one of --person or --host")

    async def work(s: Services) -> list[str]:
        org = await s.people.organisation(org_ref)
        pid = await _person_id(s, org.id, person_ref or host_ref or "")
        person = await s.people.get_person(org.id, pid)
        if person_ref:
            items = await s.office_hours.bookings_for_person(org.id, pid, upcoming=not past)
        else:
            items = await s.office_hours.bookings_for_host(org.id, pid, upcoming=not past)
        return [_booking_line(b, person.time_zone) for b in items]

    lines = run(ctx, work)
    if not lines:
        click.echo("no bookings")
    for line in lines:
        click.echo(line)


@officehours_group.command("cancel")
@click.argument("booking_id")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--reason", default="", help="Told to the other side.")
@pass_ctx
def officehours_cancel(ctx: Context, booking_id: str, org_ref: str, reason: str) -> None:
    """Cancel a booking; its seat goes to the first on the waitlist."""

    async def work(s: Services) -> str:
        org = await s.people.organisation(org_ref)
        b = await s.office_hours.cancel(org.id, parse_id(booking_id, "booking id"), reason)
        return f"{b.id} cancelled"

    click.echo(run(ctx, work))
