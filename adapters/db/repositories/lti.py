"""LTI registration store, tool keys, logins, key cache, sessions, links, placements, rosters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from adapters.db.repositories.communities import _community
from adapters.db.repositories.officehours import _booking, _type
from adapters.db.sql import fetch, fetch_by_dialect, from_json, json_rows
from adapters.db.tables.communities import CommunityRow
from adapters.db.tables.lti import (
    LtiDeploymentRow,
    LtiKeyCacheRow,
    LtiLinkRow,
    LtiLoginRow,
    LtiOrgSettingsRow,
    LtiPlacementRow,
    LtiPlatformRow,
    LtiRegistrationTokenRow,
    LtiRosterRow,
    LtiSessionRow,
    LtiToolKeyRow,
)
from adapters.db.tables.officehours import BookingRow, OfficeHoursTypeRow
from core.lti.model import (
    CachedKey,
    CourseLink,
    LoginState,
    LtiSession,
    Placement,
    Platform,
    RegistrationToken,
    RosterMember,
    ToolKey,
)
from core.lti.ports import CourseRows


async def _platform(row: LtiPlatformRow) -> Platform:
    deployments = await LtiDeploymentRow.filter(platform_id=row.id).order_by("id")
    return Platform(
        id=row.id,
        organisation_id=row.organisation_id,
        issuer=row.issuer,
        client_id=row.client_id,
        auth_login_url=row.auth_login_url,
        auth_token_url=row.auth_token_url,
        key_set_url=row.key_set_url,
        name=row.name,
        active=row.active,
        deployment_ids=tuple(d.deployment_id for d in deployments),
        auth_audience=row.auth_audience,
        source=row.source,  # type: ignore[arg-type]
        created_at=row.created_at,
    )


def _session(row: LtiSessionRow) -> LtiSession:
    return LtiSession(
        id=row.id,
        token_hash=row.token_hash,
        organisation_id=row.organisation_id,
        person_id=row.person_id,
        platform_id=row.platform_id,
        deployment_id=row.deployment_id,
        message_type=row.message_type,
        roles=tuple(row.roles or ()),
        context_id=row.context_id,
        context_title=row.context_title,
        resource_link_id=row.resource_link_id,
        claims=dict(row.claims or {}),
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


_LINKS = (
    'SELECT "id", "organisation_id", "platform_id", "kind", "target", "title", "context_id",'
    ' "topics", "graded", "line_item_url", "created_at" FROM "lti_link"'
    ' WHERE "platform_id" = ? AND "context_id" = ? ORDER BY "created_at"'
)
_USE_LOGIN = (
    'INSERT INTO "lti_login" ("state", "nonce", "platform_id", "target_link_uri",'
    ' "browser_hash", "storage_target", "created_at", "expires_at", "used_at")'
    " SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?"
    ' WHERE EXISTS (SELECT 1 FROM "lti_platform" WHERE "id" = ? AND "active")'
    ' ON CONFLICT DO NOTHING RETURNING "state"'
)
_USE_LOGIN_DEPLOYMENT = (
    'INSERT INTO "lti_login" ("state", "nonce", "platform_id", "target_link_uri",'
    ' "browser_hash", "storage_target", "created_at", "expires_at", "used_at")'
    " SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?"
    ' WHERE EXISTS (SELECT 1 FROM "lti_platform" p JOIN "lti_deployment" d'
    ' ON d."platform_id" = p."id" WHERE p."id" = ? AND p."active" AND d."deployment_id" = ?)'
    ' ON CONFLICT DO NOTHING RETURNING "state"'
)
_ADD_SESSION = (
    'INSERT INTO "lti_session" ("id", "token_hash", "organisation_id", "person_id",'
    ' "platform_id", "deployment_id", "message_type", "roles", "context_id", "context_title",'
    ' "resource_link_id", "claims", "created_at", "expires_at")'
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
#: a course page's reads in one statement (`course_rows`)
_COURSE_PARTS = {
    "links": json_rows(LtiLinkRow, '"platform_id" = ? AND "context_id" = ?', ["created_at"]),
    "communities": json_rows(
        CommunityRow, '"organisation_id" = ? AND NOT "archived"', ["name_key"]
    ),
    "roster": json_rows(
        LtiRosterRow, '"platform_id" = ? AND "context_id" = ?', ["name", "user_id"]
    ),
    "kinds": json_rows(OfficeHoursTypeRow, '"organisation_id" = ?', ["title", "id"]),
    "bookings": json_rows(
        BookingRow,
        '"organisation_id" = ? AND "person_id" = ? AND "end_utc" > ?',
        ["start_utc", "seq", "id"],
        limit=True,
    ),
}
_COURSE = {
    dialect: "SELECT "
    + ", ".join(f'{parts[dialect]} AS "{name}"' for name, parts in _COURSE_PARTS.items())
    for dialect in ("sqlite", "postgres")
}
_ROSTER = (
    'SELECT "user_id", "name", "email", "roles", "status" FROM "lti_roster"'
    ' WHERE "platform_id" = ? AND "context_id" = ? ORDER BY "name", "user_id"'
)


def _link(row: LtiLinkRow) -> CourseLink:
    return CourseLink(
        id=row.id,
        organisation_id=row.organisation_id,
        platform_id=row.platform_id,
        kind=row.kind,  # type: ignore[arg-type]
        target=row.target,
        title=row.title,
        context_id=row.context_id,
        topics=tuple(row.topics or ()),
        graded=row.graded,
        line_item_url=row.line_item_url,
        created_at=row.created_at,
    )


def _placement(row: LtiPlacementRow) -> Placement:
    return Placement(
        platform_id=row.platform_id,
        context_id=row.context_id,
        resource_link_id=row.resource_link_id,
        title=row.title,
        link_id=row.link_id,
        lineitems_url=row.lineitems_url,
        lineitem_url=row.lineitem_url,
        ags_scopes=tuple(row.ags_scopes or ()),
        memberships_url=row.memberships_url,
        updated_at=row.updated_at,
        roster_requested_at=row.roster_requested_at,
    )


def _registration_token(row: LtiRegistrationTokenRow) -> RegistrationToken:
    return RegistrationToken(
        id=row.id,
        organisation_id=row.organisation_id,
        token_hash=row.token_hash,
        created_at=row.created_at,
        label=row.label,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


class DbLti:
    # platforms ------------------------------------------------------------------------------
    async def add_platform(self, platform: Platform) -> None:
        await LtiPlatformRow.create(
            id=platform.id,
            organisation_id=platform.organisation_id,
            issuer=platform.issuer,
            client_id=platform.client_id,
            auth_login_url=platform.auth_login_url,
            auth_token_url=platform.auth_token_url,
            key_set_url=platform.key_set_url,
            auth_audience=platform.auth_audience,
            name=platform.name,
            active=platform.active,
            source=platform.source,
            created_at=platform.created_at,
        )
        for deployment in platform.deployment_ids:
            await LtiDeploymentRow.create(platform_id=platform.id, deployment_id=deployment)

    async def update_platform(self, platform: Platform) -> None:
        await LtiPlatformRow.filter(id=platform.id).update(
            auth_login_url=platform.auth_login_url,
            auth_token_url=platform.auth_token_url,
            key_set_url=platform.key_set_url,
            auth_audience=platform.auth_audience,
            name=platform.name,
            active=platform.active,
        )
        known = {
            str(d.deployment_id) for d in await LtiDeploymentRow.filter(platform_id=platform.id)
        }
        for deployment in platform.deployment_ids:
            if deployment not in known:
                await LtiDeploymentRow.create(platform_id=platform.id, deployment_id=deployment)

    async def get_platform(self, platform_id: UUID) -> Platform | None:
        row = await LtiPlatformRow.get_or_none(id=platform_id)
        return await _platform(row) if row else None

    async def platforms_for_issuer(self, issuer: str) -> Sequence[Platform]:
        rows = await LtiPlatformRow.filter(issuer=issuer).order_by("created_at")
        return [await _platform(r) for r in rows]

    async def list_platforms(self, organisation_id: UUID | None = None) -> Sequence[Platform]:
        q = LtiPlatformRow.all()
        if organisation_id is not None:
            q = q.filter(organisation_id=organisation_id)
        return [await _platform(r) for r in await q.order_by("issuer", "client_id")]

    async def get_auto_approve(self, organisation_id: UUID) -> bool:
        row = await LtiOrgSettingsRow.get_or_none(organisation_id=organisation_id)
        return bool(row and row.auto_approve)

    async def set_auto_approve(self, organisation_id: UUID, value: bool) -> None:
        await LtiOrgSettingsRow.update_or_create(
            defaults={"auto_approve": value}, organisation_id=organisation_id
        )

    # registration tokens ----------------------------------------------------------------------
    async def add_registration_token(self, token: RegistrationToken) -> None:
        await LtiRegistrationTokenRow.create(
            id=token.id,
            organisation_id=token.organisation_id,
            token_hash=token.token_hash,
            label=token.label,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
        )

    async def registration_token(self, token_hash: str) -> RegistrationToken | None:
        row = await LtiRegistrationTokenRow.get_or_none(token_hash=token_hash)
        return _registration_token(row) if row else None

    async def registration_tokens(self, organisation_id: UUID) -> Sequence[RegistrationToken]:
        rows = await LtiRegistrationTokenRow.filter(organisation_id=organisation_id).order_by(
            "created_at"
        )
        return [_registration_token(r) for r in rows]

    async def update_registration_token(self, token: RegistrationToken) -> None:
        await LtiRegistrationTokenRow.filter(id=token.id).update(
            label=token.label,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
        )

    # tool keys ------------------------------------------------------------------------------
    async def add_key(self, key: ToolKey) -> None:
        await LtiToolKeyRow.create(
            kid=key.kid,
            private_pem=key.private_pem,
            public_jwk=key.public_jwk,
            created_at=key.created_at,
            retired_at=key.retired_at,
        )

    async def list_keys(self) -> Sequence[ToolKey]:
        return [
            ToolKey(r.kid, r.private_pem, dict(r.public_jwk), r.created_at, r.retired_at)
            for r in await LtiToolKeyRow.all().order_by("created_at")
        ]

    async def retire_keys(self, when: datetime) -> None:
        await LtiToolKeyRow.filter(retired_at__isnull=True).update(retired_at=when)

    # logins ---------------------------------------------------------------------------------
    async def use_login(
        self, login: LoginState, when: datetime, deployment_id: str | None = None
    ) -> bool:
        # one plain statement on every launch: inserted only while the login's registration
        # is active (with that deployment), never twice for one state or nonce
        values: list[object] = [
            login.state,
            login.nonce,
            str(login.platform_id),
            login.target_link_uri[:1000],
            login.browser_hash,
            login.storage_target,
            login.created_at,
            login.expires_at,
            when,
            str(login.platform_id),
        ]
        if deployment_id is not None:
            values.append(deployment_id)
        sql = _USE_LOGIN_DEPLOYMENT if deployment_id is not None else _USE_LOGIN
        return bool(await fetch(sql, values))

    async def purge_logins(self, before: datetime) -> int:
        return await LtiLoginRow.filter(expires_at__lt=before).delete()

    # platform key cache ---------------------------------------------------------------------
    async def cached_key(self, key_set_url: str, kid: str) -> CachedKey | None:
        r = await LtiKeyCacheRow.get_or_none(key_set_url=key_set_url, kid=kid)
        return CachedKey(r.key_set_url, r.kid, dict(r.jwk), r.fetched_at) if r else None

    async def cache_keys(self, keys: Sequence[CachedKey]) -> None:
        for key in keys:
            await LtiKeyCacheRow.update_or_create(
                defaults={"jwk": key.jwk, "fetched_at": key.fetched_at},
                key_set_url=key.key_set_url,
                kid=key.kid,
            )

    # sessions -------------------------------------------------------------------------------
    async def add_session(self, session: LtiSession) -> None:
        # one plain statement on every launch, no model instance
        json = LtiSessionRow._meta.fields_map["claims"]
        await fetch(
            _ADD_SESSION,
            [
                str(session.id),
                session.token_hash,
                str(session.organisation_id),
                str(session.person_id),
                str(session.platform_id),
                session.deployment_id,
                session.message_type,
                json.to_db_value(list(session.roles), LtiSessionRow),
                session.context_id,
                session.context_title,
                session.resource_link_id,
                json.to_db_value(session.claims, LtiSessionRow),
                session.created_at,
                session.expires_at,
            ],
        )

    async def get_session(self, token_hash: str) -> LtiSession | None:
        row = await LtiSessionRow.get_or_none(token_hash=token_hash)
        return _session(row) if row else None

    async def placements_launched_by(self, person_id: UUID) -> Sequence[Placement]:
        pairs = {
            (r.platform_id, r.resource_link_id)
            for r in await LtiSessionRow.filter(
                person_id=person_id, resource_link_id__isnull=False
            ).only("platform_id", "resource_link_id")
        }
        out: list[Placement] = []
        for platform_id, link_id in sorted(pairs, key=str):
            row = await LtiPlacementRow.get_or_none(
                platform_id=platform_id, resource_link_id=link_id
            )
            if row is not None:
                out.append(_placement(row))
        return out

    async def count_launches(self, platform_id: UUID, context_id: str | None) -> int:
        return await LtiSessionRow.filter(platform_id=platform_id, context_id=context_id).count()

    # links and placements -------------------------------------------------------------------
    async def add_link(self, link: CourseLink) -> None:
        await LtiLinkRow.create(
            id=link.id,
            organisation_id=link.organisation_id,
            platform_id=link.platform_id,
            context_id=link.context_id,
            kind=link.kind,
            target=link.target,
            title=link.title,
            topics=list(link.topics),
            graded=link.graded,
            line_item_url=link.line_item_url,
            created_at=link.created_at,
        )

    async def get_link(self, organisation_id: UUID, link_id: UUID) -> CourseLink | None:
        row = await LtiLinkRow.get_or_none(id=link_id, organisation_id=organisation_id)
        return _link(row) if row else None

    async def links_for_context(
        self, platform_id: UUID, context_id: str | None
    ) -> Sequence[CourseLink]:
        if context_id is None:
            rows = await LtiLinkRow.filter(platform_id=platform_id, context_id=None).order_by(
                "created_at"
            )
            return [_link(r) for r in rows]
        # read on every launch of a course: a plain statement, no query building
        f = LtiLinkRow._meta.fields_map
        return [
            CourseLink(
                id=f["id"].to_python_value(r["id"]),
                organisation_id=f["id"].to_python_value(r["organisation_id"]),
                platform_id=f["id"].to_python_value(r["platform_id"]),
                kind=r["kind"],
                target=r["target"],
                title=r["title"],
                context_id=r["context_id"],
                topics=tuple(f["topics"].to_python_value(r["topics"]) or ()),
                graded=bool(r["graded"]),
                line_item_url=r["line_item_url"],
                created_at=f["created_at"].to_python_value(r["created_at"]),
            )
            for r in await fetch(_LINKS, [str(platform_id), context_id])
        ]

    async def upsert_placement(self, placement: Placement, exists: bool | None = None) -> None:
        values: dict[str, Any] = {
            "context_id": placement.context_id,
            "title": placement.title,
            "link_id": placement.link_id,
            "lineitems_url": placement.lineitems_url,
            "lineitem_url": placement.lineitem_url,
            "ags_scopes": list(placement.ags_scopes),
            "memberships_url": placement.memberships_url,
            "updated_at": placement.updated_at,
            "roster_requested_at": placement.roster_requested_at,
        }
        key: dict[str, Any] = {
            "platform_id": placement.platform_id,
            "resource_link_id": placement.resource_link_id,
        }
        if exists is None:
            await LtiPlacementRow.update_or_create(defaults=values, **key)
        elif exists:
            await LtiPlacementRow.filter(**key).update(**values)
        else:
            await LtiPlacementRow.create(**values, **key)

    async def placement(
        self, platform_id: UUID, context_id: str | None, resource_link_id: str
    ) -> Placement | None:
        row = await LtiPlacementRow.get_or_none(
            platform_id=platform_id, resource_link_id=resource_link_id
        )
        return _placement(row) if row else None

    async def placements(self, platform_id: UUID, context_id: str | None) -> Sequence[Placement]:
        rows = await LtiPlacementRow.filter(platform_id=platform_id, context_id=context_id)
        return [_placement(r) for r in rows]

    # rosters --------------------------------------------------------------------------------
    async def roster(self, platform_id: UUID, context_id: str) -> Sequence[RosterMember]:
        # read on every launch: a plain statement, no query building or model instances
        rows = await fetch(_ROSTER, [str(platform_id), context_id])
        roles = LtiRosterRow._meta.fields_map["roles"]
        return [
            RosterMember(
                r["user_id"],
                r["name"],
                r["email"],
                tuple(roles.to_python_value(r["roles"]) or ()),
                r["status"],
            )
            for r in rows
        ]

    async def course_rows(
        self,
        organisation_id: UUID,
        platform_id: UUID,
        context_id: str,
        person_id: UUID,
        now: datetime,
        bookings: int,
    ) -> CourseRows:
        # one statement instead of five on every launch (a round trip or a hand-off to
        # SQLite's thread each)
        org, platform = str(organisation_id), str(platform_id)
        person = str(person_id)
        # the five parts' values, in the statement's order
        values = (platform, context_id, org, platform, context_id, org, org, person, now, bookings)
        (row,) = await fetch_by_dialect(_COURSE, values)
        return CourseRows(
            links=[_link(r) for r in from_json(LtiLinkRow, row["links"])],
            communities=[_community(r) for r in from_json(CommunityRow, row["communities"])],
            roster=[
                RosterMember(r.user_id, r.name, r.email, tuple(r.roles or ()), r.status)
                for r in from_json(LtiRosterRow, row["roster"])
            ],
            kinds=[_type(r) for r in from_json(OfficeHoursTypeRow, row["kinds"])],
            bookings=[_booking(r) for r in from_json(BookingRow, row["bookings"])],
        )

    async def replace_roster(
        self, platform_id: UUID, context_id: str, members: Sequence[RosterMember], when: datetime
    ) -> tuple[int, int, int]:
        existing = {
            r.user_id: r
            for r in await LtiRosterRow.filter(platform_id=platform_id, context_id=context_id)
        }
        wanted = {m.user_id: m for m in members}
        joined = left = unchanged = 0
        for user_id, gone in existing.items():
            if user_id not in wanted:
                await gone.delete()
                left += 1
        for user_id, m in wanted.items():
            row = existing.get(user_id)
            if row is None:
                await LtiRosterRow.create(
                    platform_id=platform_id,
                    context_id=context_id,
                    user_id=user_id,
                    name=m.name,
                    email=m.email,
                    roles=list(m.roles),
                    status=m.status,
                    synced_at=when,
                )
                joined += 1
            else:
                row.name, row.email, row.roles, row.status = (
                    m.name,
                    m.email,
                    list(m.roles),
                    m.status,
                )
                row.synced_at = when
                await row.save()
                unchanged += 1
        return joined, left, unchanged
