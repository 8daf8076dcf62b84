from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('communities', '0001_initial')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='PostRow',
            index=Index(fields=['organisation_id', 'community_id', 'archived', 'length']),
        ),
        ops.RemoveIndex(
            model_name='PostTermRow',
            name=None,
            fields=['organisation_id', 'term'],
        ),
        ops.AddField(
            model_name='PostTermRow',
            name='archived',
            field=fields.BooleanField(null=True, default=False),
        ),
        ops.AddField(
            model_name='PostTermRow',
            name='community_id',
            field=fields.UUIDField(null=True),
        ),
        ops.AddField(
            model_name='PostTermRow',
            name='impact',
            field=fields.FloatField(null=True, default=0.0),
        ),
        ops.AddField(
            model_name='PostTermRow',
            name='length',
            field=fields.IntField(null=True, default=0),
        ),
        ops.RunSQL(
            "UPDATE community_post_term SET "
            "community_id = (SELECT p.community_id FROM community_post p WHERE p.id = community_post_term.post_id), "
            "archived = (SELECT p.archived FROM community_post p WHERE p.id = community_post_term.post_id), "
            "length = (SELECT p.length FROM community_post p WHERE p.id = community_post_term.post_id), "
            "impact = tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * (SELECT p.length FROM community_post p WHERE p.id = community_post_term.post_id) / 100.0))"
        ),
        ops.AddIndex(
            model_name='PostTermRow',
            index=Index(fields=['organisation_id', 'term', 'archived', 'community_id']),
        ),
        ops.AddIndex(
            model_name='PostTermRow',
            index=Index(fields=['organisation_id', 'term', 'archived', 'impact']),
        ),
    ]
