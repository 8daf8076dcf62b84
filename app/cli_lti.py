"""`peerlearn lti …`: platform registrations and tool keys."""

from __future__ import annotations

from datetime import timedelta

import click

from app.cli import Context, pass_ctx, run
from core.ids import parse_id
from core.lti.model import Platform
from core.services import Services


def _line(p: Platform) -> str:
    state = "active" if p.active else "inactive"
    deployments = ",".join(p.deployment_ids) or "-"
    return (
        f"{p.id}  {state:8} {p.issuer}  client={p.client_id}  deployments={deployments}  "
        f"source={p.source}  {p.name}"
    )


@click.group("lti")
def lti_group() -> None:
    """LMS platforms (LTI 1.3) and the tool's signing keys."""


@lti_group.group("platform")
def platform() -> None:
    """Platform registrations (issuer, client id, deployments)."""


@platform.command("add")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--issuer", required=True, help="The platform's issuer (iss).")
@click.option("--client-id", required=True, help="The client id the platform gave the tool.")
@click.option("--auth-login-url", required=True, help="The platform's OIDC authorization URL.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth2 token URL.")
@click.option("--key-set-url", required=True, help="The platform's JWKS URL.")
@click.option("--deployment-id", multiple=True, help="A deployment id (repeatable).")
@click.option("--auth-audience", default=None, help="Token audience, when not the token URL.")
@click.option("--name", default="", help="A name admins recognise, e.g. 'Moodle production'.")
@pass_ctx
def platform_add(
    ctx: Context,
    org_ref: str,
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    deployment_id: tuple[str, ...],
    auth_audience: str | None,
    name: str,
) -> None:
    """Register a platform (or add deployments to an existing registration)."""

    async def work(s: Services) -> str:
        org = await s.people.organisation(org_ref)
        p = await s.lti.add_platform(
            org.id,
            issuer=issuer,
            client_id=client_id,
            auth_login_url=auth_login_url,
            auth_token_url=auth_token_url,
            key_set_url=key_set_url,
            deployment_ids=deployment_id,
            name=name,
            auth_audience=auth_audience,
        )
        return _line(p)

    click.echo(run(ctx, work))


@platform.command("list")
@click.option("--org", "org_ref", default=None, help="Only this organisation's platforms.")
@pass_ctx
def platform_list(ctx: Context, org_ref: str | None) -> None:
    """List platform registrations."""

    async def work(s: Services) -> list[str]:
        org_id = (await s.people.organisation(org_ref)).id if org_ref else None
        return [_line(p) for p in await s.lti.platforms(org_id)]

    lines = run(ctx, work)
    if not lines:
        click.echo("no platforms registered")
    for line in lines:
        click.echo(line)


@platform.command("disable")
@click.argument("platform_id")
@pass_ctx
def platform_disable(ctx: Context, platform_id: str) -> None:
    """Stop accepting logins and launches from a platform."""

    async def work(s: Services) -> str:
        return _line(await s.lti.set_active(parse_id(platform_id, "platform id"), False))

    click.echo(run(ctx, work))


@platform.command("approve")
@click.argument("platform_id")
@pass_ctx
def platform_approve(ctx: Context, platform_id: str) -> None:
    """Activate a registration (dynamic registrations wait for this)."""

    async def work(s: Services) -> str:
        return _line(await s.lti.set_active(parse_id(platform_id, "platform id"), True))

    click.echo(run(ctx, work))


@platform.command("auto-approve")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--on/--off", "value", default=True, show_default=True)
@pass_ctx
def platform_auto_approve(ctx: Context, org_ref: str, value: bool) -> None:
    """Let dynamic registrations for an organisation become active without approval."""

    async def work(s: Services) -> str:
        org = await s.people.organisation(org_ref)
        await s.lti.set_auto_approve(org.id, value)
        return f"auto-approval {'on' if value else 'off'} for {org.slug}"

    click.echo(run(ctx, work))


@lti_group.group("keys")
def keys() -> None:
    """The tool's signing keys (published at /lti/jwks)."""


@keys.command("rotate")
@pass_ctx
def keys_rotate(ctx: Context) -> None:
    """Sign with a new key from now; older keys stay published for 7 days."""

    async def work(s: Services) -> str:
        key = await s.lti.rotate_keys()
        return f"new signing key {key.kid}"

    click.echo(run(ctx, work))


@keys.command("list")
@pass_ctx
def keys_list(ctx: Context) -> None:
    """The keys published at /lti/jwks, newest first."""

    async def work(s: Services) -> list[str]:
        return [str(k["kid"]) for k in await s.lti.published_keys()]

    for line in run(ctx, work):
        click.echo(line)


@lti_group.command("register-url")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option(
    "--expires-in-days",
    type=click.IntRange(1, 3650),
    default=None,
    help="Stop accepting the URL after this many days (default: until revoked).",
)
@click.option("--label", default="", help="A note for admins, e.g. 'Moodle production'.")
@pass_ctx
def register_url(ctx: Context, org_ref: str, expires_in_days: int | None, label: str) -> None:
    """Print a dynamic registration URL for an organisation: the admin pastes it into the LMS.

    The URL carries a secret naming the organisation (stored hashed; shown only now)."""

    async def work(s: Services) -> list[str]:
        org = await s.people.organisation(org_ref)
        days = timedelta(days=expires_in_days) if expires_in_days else None
        token, secret = await s.lti.issue_registration_token(org.id, expires_in=days, label=label)
        until = (
            f"until {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "until revoked"
        )
        return [
            s.lti.registration_url(secret),
            f"registration URL {token.id} for {org.slug}, valid {until} "
            f"(revoke: peerlearn lti register-url-revoke --org {org.slug} {token.id})",
        ]

    url, note = run(ctx, work)
    click.echo(url)
    click.echo(note, err=True)


@lti_group.command("register-urls")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@pass_ctx
def register_urls(ctx: Context, org_ref: str) -> None:
    """List an organisation's registration URLs (their secrets are not kept)."""

    async def work(s: Services) -> list[str]:
        org = await s.people.organisation(org_ref)
        now = s.clock.now()
        lines = []
        for t in await s.lti.registration_tokens(org.id):
            if t.revoked_at is not None:
                state = "revoked"
            elif not t.usable(now):
                state = "expired"
            else:
                state = "usable"
            expires = f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never"
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            lines.append(
                f"{t.id}  {state:8} created {t.created_at:%Y-%m-%d}  expires {expires}  "
                f"last used {used}  {t.label}"
            )
        return lines

    lines = run(ctx, work)
    if not lines:
        click.echo("no registration URLs")
    for line in lines:
        click.echo(line)


@lti_group.command("register-url-revoke")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.argument("token_id")
@pass_ctx
def register_url_revoke(ctx: Context, org_ref: str, token_id: str) -> None:
    """Stop accepting a registration URL (registrations made with it stay)."""

    async def work(s: Services) -> str:
        org = await s.people.organisation(org_ref)
        t = await s.lti.revoke_registration_token(org.id, parse_id(token_id, "registration URL"))
        return f"registration URL {t.id} revoked"

    click.echo(run(ctx, work))
