"""Why an LTI request was refused; every reason is a 4xx with a stable code."""

from __future__ import annotations

from core.errors import Forbidden, InvalidInput, NotFound, PeerlearnError


class LtiRejected(PeerlearnError):
    """A login, launch or registration the tool refuses; `reason` names the failed check."""

    code = "lti_rejected"
    status = 403

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason


class LtiBadRequest(InvalidInput):
    code = "lti_bad_request"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason


class UnknownPlatform(NotFound):
    code = "lti_unknown_platform"


class PlatformInactive(Forbidden):
    code = "lti_platform_inactive"


class SessionExpired(Forbidden):
    code = "lti_session_expired"
