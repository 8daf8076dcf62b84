"""Errors of the communities feature, each with a stable code."""

from __future__ import annotations

from core.errors import Conflict, Forbidden, InvalidInput, NotFound


class CommunityNotFound(NotFound):
    code = "community_not_found"


class PostNotFound(NotFound):
    code = "post_not_found"


class QuestionNotFound(NotFound):
    code = "question_not_found"


class AnswerNotFound(NotFound):
    code = "answer_not_found"


class CohortNotFound(NotFound):
    code = "cohort_not_found"


class NotAMember(Forbidden):
    code = "not_a_member"


class OwnersOnly(Forbidden):
    code = "owners_only"


class HostsOnly(Forbidden):
    code = "owners_or_facilitators_only"


class NotYours(Forbidden):
    code = "not_yours"


class LeaderboardOff(Forbidden):
    code = "leaderboard_off"


class UnknownTags(InvalidInput):
    code = "unknown_tags"
    status = 422


class TextTooLong(InvalidInput):
    code = "too_long"
    status = 422


class CommunityNameTaken(Conflict):
    code = "community_name_taken"


class CommunityArchived(Conflict):
    code = "community_archived"


class AlreadyAccepted(Conflict):
    code = "already_accepted"


class NotAccepted(Conflict):
    code = "answer_not_accepted"


class AlreadyPromoted(Conflict):
    code = "already_promoted"


class CohortClosed(Conflict):
    code = "cohort_closed"


class NotEnrolled(Forbidden):
    code = "not_enrolled"
