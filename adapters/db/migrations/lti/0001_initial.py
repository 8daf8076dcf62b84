from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='LtiKeyCacheRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key_set_url', fields.CharField(max_length=1000)),
                ('kid', fields.CharField(max_length=255)),
                ('jwk', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('fetched_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lti_key_cache', 'app': 'lti', 'unique_together': (('key_set_url', 'kid'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LtiLinkRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField(db_index=True)),
                ('platform_id', fields.UUIDField()),
                ('context_id', fields.CharField(null=True, max_length=255)),
                ('kind', fields.CharField(max_length=16)),
                ('target', fields.CharField(default='', max_length=200)),
                ('title', fields.CharField(max_length=200)),
                ('topics', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('graded', fields.BooleanField(default=False)),
                ('line_item_url', fields.CharField(null=True, max_length=1000)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lti_link', 'app': 'lti', 'indexes': [Index(fields=['platform_id', 'context_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LtiLoginRow',
            fields=[
                ('state', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=100)),
                ('nonce', fields.CharField(unique=True, max_length=100)),
                ('platform_id', fields.UUIDField()),
                ('target_link_uri', fields.CharField(max_length=1000)),
                ('browser_hash', fields.CharField(max_length=64)),
                ('storage_target', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lti_login', 'app': 'lti', 'pk_attr': 'state'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LtiOrgSettingsRow',
            fields=[
                ('organisation_id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('auto_approve', fields.BooleanField(default=False)),
            ],
            options={'table': 'lti_org_settings', 'app': 'lti', 'pk_attr': 'organisation_id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LtiPlacementRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform_id', fields.UUIDField()),
                ('context_id', fields.CharField(null=True, max_length=255)),
                ('resource_link_id', fields.CharField(max_length=255)),
                ('title', fields.CharField(null=True, max_length=255)),
                ('link_id', fields.UUIDField(null=True)),
                ('lineitems_url', fields.CharField(null=True, max_length=1000)),
                ('lineitem_url', fields.CharField(null=True, max_length=1000)),
                ('ags_scopes', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('memberships_url', fields.CharField(null=True, max_length=1000)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lti_placement', 'app': 'lti', 'unique_together': (('platform_id', 'resource_link_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LtiPlatformRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField(db_index=True)),
                ('issuer', fields.CharField(db_index=True, max_length=255)),
                ('client_id', fields.CharField(max_length=255)),
                ('auth_login_url', fields.CharField(max_length=1000)),
                ('auth_token_url', fields.CharField(max_length=1000)),
                ('key_set_url', fields.CharField(max_length=1000)),
                ('auth_audience', fields.CharField(null=True, max_length=1000)),
                ('name', fields.CharField(default='', max_length=200)),
                ('active', fields.BooleanField(default=True)),
                ('source', fields.CharField(default='manual', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lti_platform', 'app': 'lti', 'unique_together': (('issuer', 'client_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LtiDeploymentRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.ForeignKeyField('lti.LtiPlatformRow', source_field='platform_id', db_constraint=True, to_field='id', related_name='deployments', on_delete=OnDelete.CASCADE)),
                ('deployment_id', fields.CharField(max_length=255)),
            ],
            options={'table': 'lti_deployment', 'app': 'lti', 'unique_together': (('platform_id', 'deployment_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LtiRosterRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform_id', fields.UUIDField()),
                ('context_id', fields.CharField(max_length=255)),
                ('user_id', fields.CharField(max_length=255)),
                ('name', fields.CharField(null=True, max_length=200)),
                ('email', fields.CharField(null=True, max_length=320)),
                ('roles', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(default='Active', max_length=16)),
                ('synced_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lti_roster', 'app': 'lti', 'unique_together': (('platform_id', 'context_id', 'user_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LtiSessionRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('organisation_id', fields.UUIDField()),
                ('person_id', fields.UUIDField()),
                ('platform_id', fields.UUIDField()),
                ('deployment_id', fields.CharField(max_length=255)),
                ('message_type', fields.CharField(max_length=64)),
                ('roles', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('context_id', fields.CharField(null=True, max_length=255)),
                ('context_title', fields.CharField(null=True, max_length=255)),
                ('resource_link_id', fields.CharField(null=True, max_length=255)),
                ('claims', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lti_session', 'app': 'lti', 'indexes': [Index(fields=['platform_id', 'context_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LtiToolKeyRow',
            fields=[
                ('kid', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=100)),
                ('private_pem', fields.TextField(unique=False)),
                ('public_jwk', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lti_tool_key', 'app': 'lti', 'pk_attr': 'kid'},
            bases=['Model'],
        ),
    ]
