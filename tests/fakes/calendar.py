"""An in-memory `CalendarSync` for unit tests: the behaviour peerlearn relies on from Graph
(idempotent creates by transaction id, patches, cancels of existing events only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from core.calendar import CalendarEventSpec, CalendarOp, CancelEvent, EventRef
from core.delivery import DeliveryError, PermanentError, SkippedError


@dataclass
class StoredEvent:
    id: str
    organizer: str
    spec: CalendarEventSpec
    cancelled: bool = False
    comment: str = ""


@dataclass
class FakeCalendar:
    events: dict[str, StoredEvent] = field(default_factory=dict)
    transactions: dict[tuple[str, str], str] = field(default_factory=dict)
    #: errors handed out, in order, before anything is done
    failures: list[DeliveryError] = field(default_factory=list)

    async def apply(self, ops: Sequence[CalendarOp]) -> list[EventRef | DeliveryError]:
        return [self._one(op) for op in ops]

    def _one(self, op: CalendarOp) -> EventRef | DeliveryError:
        if self.failures:
            return self.failures.pop(0)
        if isinstance(op, CancelEvent):
            event = self.events.get(op.event_id)
            if event is None or event.organizer != op.organizer_email.lower():
                return SkippedError("the event no longer exists")
            event.cancelled, event.comment = True, op.comment
            return EventRef(event.id)
        organizer = op.spec.organizer_email.lower()
        if op.event_id:
            event = self.events.get(op.event_id)
            if event is None or event.organizer != organizer:
                return PermanentError("graph 404: ErrorItemNotFound: no such event")
            if event.cancelled:
                return PermanentError("graph 400: ErrorInvalidRequest: the event was cancelled")
            event.spec = op.spec
            return self._ref(event)
        known = self.transactions.get((organizer, op.transaction_id))
        if known:
            return self._ref(self.events[known])
        event = StoredEvent(f"evt-{len(self.events) + 1}", organizer, op.spec)
        self.events[event.id] = event
        self.transactions[(organizer, op.transaction_id)] = event.id
        return self._ref(event)

    @staticmethod
    def _ref(event: StoredEvent) -> EventRef:
        join = f"https://teams.example/join/{event.id}" if event.spec.online else ""
        return EventRef(event.id, f"uid-{event.id}", join)

    def live(self) -> list[StoredEvent]:
        return [e for e in self.events.values() if not e.cancelled]
