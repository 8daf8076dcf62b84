"""Office-hours failures, each with a stable code the edges translate."""

from __future__ import annotations

from core.errors import Conflict, InvalidInput, NotFound, PeerlearnError


class OfficeHoursNotFound(NotFound):
    code = "office_hours_not_found"


class BookingNotFound(NotFound):
    code = "booking_not_found"


class OverlappingRules(InvalidInput):
    code = "overlapping_rules"


class InvalidSchedule(InvalidInput):
    code = "invalid_schedule"


class SlotInPast(InvalidInput):
    code = "slot_in_past"


class SlotBeyondHorizon(InvalidInput):
    code = "slot_beyond_horizon"


class SlotInsideNotice(InvalidInput):
    code = "slot_inside_minimum_notice"


class NotASlot(InvalidInput):
    code = "not_a_slot"


class SlotUnavailable(Conflict):
    code = "slot_unavailable"


class SlotFull(Conflict):
    code = "slot_full"


class LimitReached(Conflict):
    code = "booking_limit_reached"


class OfficeHoursPaused(Conflict):
    code = "office_hours_paused"


class AlreadyBooked(Conflict):
    code = "already_booked"


class PlaceAlreadyHeld(AlreadyBooked):
    """Raised by a repository when a simultaneous request gave the same person the same kind of
    place (a seat or waitlist place, or an audience place) at the same session first."""


class InvalidTransition(Conflict):
    code = "invalid_booking_transition"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class MissingAnswer(InvalidInput):
    code = "missing_answer"


class RatingNotAllowed(Conflict):
    code = "rating_not_allowed"


class DuplicateIdempotencyKey(PeerlearnError):
    """Raised by a repository when another request stored the same key first (a race)."""

    code = "duplicate_idempotency_key"
    status = 409
