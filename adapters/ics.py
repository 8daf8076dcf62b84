"""iCalendar invitations rendered with the `icalendar` library (RFC 5545, METHOD REQUEST/CANCEL)."""

from __future__ import annotations

from icalendar import Calendar, Event, vCalAddress, vText

from core.officehours.ports import Invitation


class IcalendarInvitations:
    """The `InvitationRenderer` port: one VEVENT per booking, UID stable across changes."""

    def render(self, invitation: Invitation) -> bytes:
        cal = Calendar()
        cal.add("prodid", "-//peerlearn//office hours//EN")
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", invitation.method)
        event = Event()
        event.add("uid", invitation.uid)
        event.add("sequence", invitation.sequence)
        event.add("dtstamp", invitation.stamp)
        event.add("dtstart", invitation.start_utc)
        event.add("dtend", invitation.end_utc)
        event.add("summary", invitation.summary)
        if invitation.description:
            event.add("description", invitation.description)
        event.add("location", invitation.location)
        if invitation.url:
            event.add("url", invitation.url)
        event.add("status", invitation.status)
        if invitation.organizer_email:
            organizer = vCalAddress(f"mailto:{invitation.organizer_email}")
            organizer.params["cn"] = vText(invitation.organizer_name)
            event["organizer"] = organizer
        for name, email in invitation.attendees:
            if not email:
                continue
            attendee = vCalAddress(f"mailto:{email}")
            attendee.params["cn"] = vText(name)
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            attendee.params["rsvp"] = vText("TRUE")
            event.add("attendee", attendee, encode=False)
        cal.add_component(event)
        data: bytes = cal.to_ical()
        return data
