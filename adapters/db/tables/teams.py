"""Teams conversation references (for proactive notices)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ConversationRefRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    conversation_id = fields.CharField(max_length=512)
    conversation_type = fields.CharField(max_length=16)
    service_url = fields.CharField(max_length=512)
    tenant_id = fields.CharField(max_length=64)
    bot_id = fields.CharField(max_length=255)
    bot_name = fields.CharField(max_length=255, default="")
    user_id = fields.CharField(max_length=512)
    person_id = fields.UUIDField(null=True)
    channel_id = fields.CharField(max_length=32, default="msteams")
    team_id = fields.CharField(max_length=512, null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "teams_conversation"
        unique_together = (("organisation_id", "conversation_id"),)
        indexes = (("organisation_id", "person_id", "conversation_type"),)


class QuestionThreadRow(Model):
    """The channel thread or group chat a question was asked in (its answer goes there)."""

    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    question_id = fields.UUIDField()
    conversation_id = fields.CharField(max_length=512)
    conversation_type = fields.CharField(max_length=16)
    root_message_id = fields.CharField(max_length=128, default="")
    service_url = fields.CharField(max_length=512)
    tenant_id = fields.CharField(max_length=64)
    bot_id = fields.CharField(max_length=255)
    bot_name = fields.CharField(max_length=255, default="")
    user_id = fields.CharField(max_length=512)
    person_id = fields.UUIDField(null=True)
    channel_id = fields.CharField(max_length=32, default="msteams")
    team_id = fields.CharField(max_length=512, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "teams_question_thread"
        unique_together = (("organisation_id", "question_id"),)


class SendLimitRow(Model):
    """One conversation's recent sends, shared by every process (optimistic `version`)."""

    key = fields.CharField(max_length=512, primary_key=True)
    history = fields.TextField()
    version = fields.IntField(default=0)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "teams_send_limit"
