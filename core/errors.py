"""One error hierarchy with stable codes; the edges translate codes, never message text."""

from __future__ import annotations

from typing import Any


class PeerlearnError(Exception):
    """Base for every expected failure; `code` is stable, `message` is for people."""

    code: str = "error"
    #: the HTTP-ish category the edges map to (400 bad input, 403, 404, 409, 422)
    status: int = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class InvalidInput(PeerlearnError):
    code = "invalid_input"
    status = 400


class NotFound(PeerlearnError):
    code = "not_found"
    status = 404


class Forbidden(PeerlearnError):
    code = "forbidden"
    status = 403


class Unauthenticated(PeerlearnError):
    code = "unauthenticated"
    status = 401


class Conflict(PeerlearnError):
    code = "conflict"
    status = 409


class UnknownTimeZone(InvalidInput):
    code = "unknown_time_zone"


class UnknownOrganisation(NotFound):
    code = "unknown_organisation"


class PersonNotFound(NotFound):
    code = "person_not_found"


class IdentityConflict(Conflict):
    code = "identity_conflict"
