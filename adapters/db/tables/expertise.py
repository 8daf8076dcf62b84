"""Skills, expert profiles, evidence, questions, answers, routing offers and the change log."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class SkillRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField(db_index=True)
    name = fields.CharField(max_length=100)
    created_at = fields.DatetimeField()

    class Meta:
        table = "expertise_skill"


class SkillAliasRow(Model):
    id = fields.IntField(primary_key=True)
    organisation_id = fields.UUIDField()
    # the folded comparison key, unique per organisation
    key = fields.CharField(max_length=100)
    skill: fields.ForeignKeyRelation[SkillRow] = fields.ForeignKeyField(
        "expertise.SkillRow", related_name="aliases", on_delete=fields.CASCADE
    )

    class Meta:
        table = "expertise_skill_alias"
        unique_together = (("organisation_id", "key"),)
        indexes = (("skill_id",),)


class ProfileRow(Model):
    id = fields.IntField(primary_key=True)
    organisation_id = fields.UUIDField()
    person_id = fields.UUIDField()
    headline = fields.CharField(max_length=300, default="")
    weekly_request_cap = fields.IntField(default=5)
    weekly_hours_cap = fields.FloatField(default=4.0)
    paused_until = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "expertise_profile"
        unique_together = (("organisation_id", "person_id"),)


class DeclaredSkillRow(Model):
    id = fields.IntField(primary_key=True)
    organisation_id = fields.UUIDField()
    person_id = fields.UUIDField()
    skill: fields.ForeignKeyRelation[SkillRow] = fields.ForeignKeyField(
        "expertise.SkillRow", related_name="declared", on_delete=fields.CASCADE
    )
    level = fields.IntField()

    class Meta:
        table = "expertise_declared_skill"
        unique_together = (("organisation_id", "person_id", "skill_id"),)
        indexes = (("skill_id",),)


class EndorsementRow(Model):
    id = fields.IntField(primary_key=True)
    organisation_id = fields.UUIDField()
    person_id = fields.UUIDField()
    skill: fields.ForeignKeyRelation[SkillRow] = fields.ForeignKeyField(
        "expertise.SkillRow", related_name="endorsements", on_delete=fields.CASCADE
    )
    endorser_id = fields.UUIDField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "expertise_endorsement"
        unique_together = (("organisation_id", "person_id", "skill_id", "endorser_id"),)
        indexes = (("skill_id",),)


class EvidenceRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    person_id = fields.UUIDField()
    kind = fields.CharField(max_length=32)
    ref = fields.CharField(max_length=200)
    skill_ids: Any = fields.JSONField(default=list)
    text = fields.TextField(default="")
    rating = fields.FloatField(null=True)
    occurred_at = fields.DatetimeField()

    class Meta:
        table = "expertise_evidence"
        unique_together = (("organisation_id", "person_id", "kind", "ref"),)


class QuestionRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    # insertion order: imported history keeps its source order, which is chronological
    seq = fields.BigIntField()
    asker_id = fields.UUIDField(null=True)
    title = fields.CharField(max_length=500)
    body = fields.TextField(default="")
    skill_ids: Any = fields.JSONField(default=list)
    status = fields.CharField(max_length=16, default="open")
    source_key = fields.CharField(max_length=255, null=True)
    accepted_answer_id = fields.UUIDField(null=True)
    route_round = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "expertise_question"
        unique_together = (("organisation_id", "source_key"),)
        indexes = (("organisation_id", "seq"),)


class AnswerRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    question_id = fields.UUIDField()
    author_id = fields.UUIDField()
    text = fields.TextField(default="")
    accepted = fields.BooleanField(default=False)
    score = fields.IntField(default=0)
    source_key = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "expertise_answer"
        indexes = (("organisation_id", "question_id"), ("organisation_id", "author_id"))


class OfferRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    question_id = fields.UUIDField()
    expert_id = fields.UUIDField()
    round = fields.IntField(default=1)
    status = fields.CharField(max_length=16, default="offered")
    reason = fields.CharField(max_length=500, default="")
    suggested_id = fields.UUIDField(null=True)
    offered_at = fields.DatetimeField()
    due_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "expertise_offer"
        indexes = (
            ("organisation_id", "question_id"),
            ("organisation_id", "expert_id", "offered_at"),
            ("status", "due_at"),
        )


class DeflectionRow(Model):
    """A question the asker resolved from reused answers or resources (one per question)."""

    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    question_id = fields.UUIDField()
    asker_id = fields.UUIDField(null=True)
    source = fields.CharField(max_length=16)
    ref = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "expertise_deflection"
        unique_together = (("organisation_id", "question_id"),)
        indexes = (("organisation_id", "created_at"),)


class ChangeRow(Model):
    """What changed, in order: search indexes in every process catch up from here."""

    id = fields.BigIntField(primary_key=True)
    organisation_id = fields.UUIDField()
    kind = fields.CharField(max_length=32)
    ref = fields.UUIDField(null=True)

    class Meta:
        table = "expertise_change"
        indexes = (("organisation_id", "id"),)


class ThreadEmbeddingRow(Model):
    """The dense vector of an answered thread (optional semantic signal), float32 bytes."""

    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField(db_index=True)
    model = fields.CharField(max_length=64)
    vector = fields.BinaryField()

    class Meta:
        table = "expertise_thread_embedding"
