"""Communities of practice: communities, memberships, library posts and their search index,
questions and answers, cohorts, check-ins, demos and pairing rounds.

People and organisations are referenced by UUID columns (they live in the `people` app).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class CommunityRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField(db_index=True)
    name = fields.CharField(max_length=120)
    name_key = fields.CharField(max_length=120)
    purpose = fields.TextField()
    topics: Any = fields.JSONField(default=list)
    visibility = fields.CharField(max_length=16)
    time_zone = fields.CharField(max_length=64, default="UTC")
    lms_course_ids: Any = fields.JSONField(default=list)
    teams_channel_id = fields.CharField(max_length=200, null=True)
    teams_channel_url = fields.TextField(null=True)
    leaderboard_enabled = fields.BooleanField(default=True)
    expert_weekly_limit_hours = fields.FloatField(default=4.0)
    archived = fields.BooleanField(default=False)
    created_by = fields.UUIDField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "community"
        unique_together = (("organisation_id", "name_key"),)


class MembershipRow(Model):
    id = fields.IntField(primary_key=True)
    community: fields.ForeignKeyRelation[CommunityRow] = fields.ForeignKeyField(
        "communities.CommunityRow", related_name="memberships", on_delete=fields.CASCADE
    )
    organisation_id = fields.UUIDField()
    person_id = fields.UUIDField()
    role = fields.CharField(max_length=16)
    status = fields.CharField(max_length=16)
    joined_at = fields.DatetimeField()
    notifications_paused = fields.BooleanField(default=False)

    class Meta:
        table = "community_membership"
        unique_together = (("community_id", "person_id"),)
        indexes = (("organisation_id", "person_id"),)


class PostRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    community: fields.ForeignKeyRelation[CommunityRow] = fields.ForeignKeyField(
        "communities.CommunityRow", related_name="posts", on_delete=fields.CASCADE
    )
    author_id = fields.UUIDField()
    kind = fields.CharField(max_length=16)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    tags: Any = fields.JSONField(default=list)
    tool = fields.CharField(max_length=200, default="")
    prompt_text = fields.TextField(default="")
    example_output = fields.TextField(default="")
    saved = fields.TextField(default="")
    url = fields.TextField(default="")
    credited_ids: Any = fields.JSONField(default=list)
    source_question_id = fields.UUIDField(null=True)
    featured = fields.BooleanField(default=False)
    archived = fields.BooleanField(default=False)
    upvotes = fields.IntField(default=0)
    tries = fields.IntField(default=0)
    comment_count = fields.IntField(default=0)
    length = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "community_post"
        indexes = (
            ("organisation_id", "community_id", "created_at"),
            ("organisation_id", "created_at"),
            ("organisation_id", "community_id", "archived", "length"),
        )


# the library's inverted index: one row per (post, term) with the term's frequency
class PostTermRow(Model):
    id = fields.BigIntField(primary_key=True)
    post: fields.ForeignKeyRelation[PostRow] = fields.ForeignKeyField(
        "communities.PostRow", related_name="terms", on_delete=fields.CASCADE
    )
    organisation_id = fields.UUIDField()
    term = fields.CharField(max_length=40)
    tf = fields.IntField()
    # copies of the post's scope and length, and the term's BM25 weight in it against a
    # reference length, so a search reads this table alone (index-ordered by impact)
    community_id = fields.UUIDField(null=True)
    archived = fields.BooleanField(null=True, default=False)
    length = fields.IntField(null=True, default=0)
    impact = fields.FloatField(null=True, default=0.0)

    class Meta:
        table = "community_post_term"
        indexes = (
            ("organisation_id", "term", "archived", "community_id"),
            ("organisation_id", "term", "archived", "impact"),
            ("post_id",),
        )


class PostRevisionRow(Model):
    id = fields.UUIDField(primary_key=True)
    post: fields.ForeignKeyRelation[PostRow] = fields.ForeignKeyField(
        "communities.PostRow", related_name="revisions", on_delete=fields.CASCADE
    )
    editor_id = fields.UUIDField()
    edited_at = fields.DatetimeField()
    previous: Any = fields.JSONField()

    class Meta:
        table = "community_post_revision"
        indexes = (("post_id", "edited_at"),)


class PostVoteRow(Model):
    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[PostRow] = fields.ForeignKeyField(
        "communities.PostRow", related_name="votes", on_delete=fields.CASCADE
    )
    person_id = fields.UUIDField()

    class Meta:
        table = "community_post_vote"
        unique_together = (("post_id", "person_id"),)


class PostSaveRow(Model):
    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[PostRow] = fields.ForeignKeyField(
        "communities.PostRow", related_name="saves", on_delete=fields.CASCADE
    )
    organisation_id = fields.UUIDField()
    person_id = fields.UUIDField()
    saved_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "community_post_save"
        unique_together = (("post_id", "person_id"),)
        indexes = (("organisation_id", "person_id"),)


class CommentRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    post: fields.ForeignKeyRelation[PostRow] = fields.ForeignKeyField(
        "communities.PostRow", related_name="comments", on_delete=fields.CASCADE
    )
    author_id = fields.UUIDField()
    body = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "community_comment"
        indexes = (("post_id", "created_at"), ("organisation_id", "created_at"))


class QuestionRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    community: fields.ForeignKeyRelation[CommunityRow] = fields.ForeignKeyField(
        "communities.CommunityRow", related_name="questions", on_delete=fields.CASCADE
    )
    asker_id = fields.UUIDField()
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    tags: Any = fields.JSONField(default=list)
    status = fields.CharField(max_length=16, default="open")
    first_answer_at = fields.DatetimeField(null=True)
    accepted_answer_id = fields.UUIDField(null=True)
    duplicate_of_id = fields.UUIDField(null=True)
    duplicate_answer_id = fields.UUIDField(null=True)
    resource_post_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "community_question"
        indexes = (
            ("organisation_id", "community_id", "created_at"),
            ("organisation_id", "created_at"),
        )


class AnswerRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    question: fields.ForeignKeyRelation[QuestionRow] = fields.ForeignKeyField(
        "communities.QuestionRow", related_name="answers", on_delete=fields.CASCADE
    )
    author_id = fields.UUIDField()
    body = fields.TextField()
    accepted = fields.BooleanField(default=False)
    cites_post_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "community_answer"
        indexes = (("question_id", "created_at"), ("organisation_id", "created_at"))


class CohortRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    community: fields.ForeignKeyRelation[CommunityRow] = fields.ForeignKeyField(
        "communities.CommunityRow", related_name="cohorts", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    goal = fields.TextField()
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    required_checkins = fields.IntField()
    requires_demo = fields.BooleanField()
    created_by = fields.UUIDField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "community_cohort"
        indexes = (("organisation_id", "community_id"),)


class EnrolmentRow(Model):
    id = fields.IntField(primary_key=True)
    cohort: fields.ForeignKeyRelation[CohortRow] = fields.ForeignKeyField(
        "communities.CohortRow", related_name="enrolments", on_delete=fields.CASCADE
    )
    organisation_id = fields.UUIDField()
    person_id = fields.UUIDField()
    joined_at = fields.DatetimeField()
    left_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "community_cohort_enrolment"
        unique_together = (("cohort_id", "person_id"),)


class CheckInRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    cohort: fields.ForeignKeyRelation[CohortRow] = fields.ForeignKeyField(
        "communities.CohortRow", related_name="checkins", on_delete=fields.CASCADE
    )
    person_id = fields.UUIDField()
    week = fields.IntField()
    tried = fields.TextField()
    saved = fields.TextField()
    stuck = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "community_checkin"
        unique_together = (("cohort_id", "person_id", "week"),)


class DemoRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    community: fields.ForeignKeyRelation[CommunityRow] = fields.ForeignKeyField(
        "communities.CommunityRow", related_name="demos", on_delete=fields.CASCADE
    )
    cohort_id = fields.UUIDField(null=True)
    person_id = fields.UUIDField()
    title = fields.CharField(max_length=200)
    given_at = fields.DatetimeField()
    recorded_by = fields.UUIDField()

    class Meta:
        table = "community_demo"
        indexes = (("organisation_id", "given_at"), ("cohort_id",))


class PairingRoundRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    cohort: fields.ForeignKeyRelation[CohortRow] = fields.ForeignKeyField(
        "communities.CohortRow", related_name="rounds", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    groups: Any = fields.JSONField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "community_pairing_round"
        unique_together = (("cohort_id", "number"),)
