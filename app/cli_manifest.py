"""`peerlearn manifest build`: the Teams app package admins upload."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from manifest.package import AppSettings, InvalidPackage, build_package


@click.group("manifest")
def manifest_group() -> None:
    """The Teams app package (manifest v1.29, icons, translations)."""


@manifest_group.command("build")
@click.option("--app-id", required=True, help="Teams app id (a GUID you choose once and keep).")
@click.option(
    "--bot-id", required=True, help="The Azure Bot's Microsoft App ID (MICROSOFT_APP_ID)."
)
@click.option(
    "--domain", required=True, help="Where peerlearn is served, e.g. peerlearn.contoso.com."
)
@click.option(
    "--version", "app_version", default="1.0.0", show_default=True, help="Package version."
)
@click.option("--developer", default="peerlearn", show_default=True, help="Publisher name.")
@click.option("--website-url", default="", help="Support page (default https://DOMAIN).")
@click.option(
    "--privacy-url", default="", help="Privacy statement (default https://DOMAIN/privacy)."
)
@click.option("--terms-url", default="", help="Terms of use (default https://DOMAIN/terms).")
@click.option(
    "--sso-app-id", default="", help="Entra app id for single sign-on (webApplicationInfo)."
)
@click.option(
    "--sso-resource", default="", help="Application ID URI for SSO (default api://DOMAIN/ID)."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("peerlearn-teams.zip"),
    show_default=True,
    help="Where to write the zip.",
)
def build(
    app_id: str,
    bot_id: str,
    domain: str,
    app_version: str,
    developer: str,
    website_url: str,
    privacy_url: str,
    terms_url: str,
    sso_app_id: str,
    sso_resource: str,
    out: Path,
) -> None:
    """Build and validate the package; nothing is written when it is invalid."""
    settings = AppSettings(
        app_id=app_id.strip(),
        bot_id=bot_id.strip(),
        domain=domain.strip().lower(),
        version=app_version,
        developer_name=developer,
        website_url=website_url,
        privacy_url=privacy_url,
        terms_url=terms_url,
        sso_app_id=sso_app_id.strip(),
        sso_resource=sso_resource.strip(),
    )
    try:
        data, manifest = build_package(settings)
    except InvalidPackage as exc:
        click.secho("error: the package was not written:", fg="red", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(2)
    out.write_bytes(data)
    commands = sum(len(c["commands"]) for c in manifest["bots"][0]["commandLists"])
    click.echo(
        f"wrote {out} ({len(data) // 1024} KB): manifest {manifest['manifestVersion']}, "
        f"bot {bot_id} in personal/team/groupChat with {commands} commands, "
        f"{len(manifest['composeExtensions'][0]['commands'])} message-extension commands, "
        "languages en + de; validated against the official schema"
    )
