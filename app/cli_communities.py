"""`peerlearn communities …`: list communities, search the library, export outcome analytics."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from app.cli import Context, fail, pass_ctx, run
from core.ids import parse_id
from core.services import Services


def _when(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--{name} is a time such as 2026-03-01T00:00:00+00:00")
        raise
    if moment.tzinfo is None:
        fail(f"--{name} must carry a UTC offset, e.g. 2026-03-01T00:00:00+00:00")
    return moment


@click.group("communities")
def communities_group() -> None:
    """Communities of practice: spaces, library, questions, cohorts, outcomes."""


@communities_group.command("ls")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--archived", is_flag=True, help="Include archived communities.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@pass_ctx
def communities_ls(ctx: Context, org_ref: str, archived: bool, as_json: bool) -> None:
    """List an organisation's communities with their member counts."""

    async def work(s: Services) -> list[str]:
        org = await s.people.organisation(org_ref)
        views = await s.communities.list_communities(org.id, include_archived=archived)
        if as_json:
            return [
                json.dumps(
                    {
                        "id": str(v.community.id),
                        "name": v.community.name,
                        "visibility": v.community.visibility,
                        "members": v.members,
                        "topics": list(v.community.topics),
                        "archived": v.community.archived,
                    },
                    ensure_ascii=False,
                )
                for v in views
            ]
        return [
            f"{v.community.id}  {v.community.visibility:8} {v.members:4} members  "
            f"{v.community.name}" + ("  (archived)" if v.community.archived else "")
            for v in views
        ]

    lines = run(ctx, work)
    if not lines and not as_json:
        click.echo("no communities yet")
    for line in lines:
        click.echo(line)


@communities_group.command("search")
@click.argument("text")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--limit", type=click.IntRange(1, 50), default=10, show_default=True)
@pass_ctx
def communities_search(ctx: Context, text: str, org_ref: str, limit: int) -> None:
    """Search the library of every community, best match first."""

    async def work(s: Services) -> list[str]:
        org = await s.people.organisation(org_ref)
        hits = await s.communities.search(org.id, text, limit=limit)
        return [f"{h.score:8.3f}  {h.post.kind:10} {h.post.id}  {h.post.title}" for h in hits]

    lines = run(ctx, work)
    if not lines:
        click.echo("nothing matches")
    for line in lines:
        click.echo(line)


@communities_group.command("teams-channel")
@click.argument("community_ref")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--team-id", required=True, help="The Teams team's id (its Microsoft 365 group id).")
@click.option("--name", default=None, help="Channel name (default: the community's name).")
@pass_ctx
def communities_teams_channel(
    ctx: Context, community_ref: str, org_ref: str, team_id: str, name: str | None
) -> None:
    """Ask for a Teams channel for a community; the worker creates it through Microsoft Graph
    and keeps its id and link on the community."""

    async def work(s: Services) -> str:
        org = await s.people.organisation(org_ref)
        community_id = parse_id(community_ref, "COMMUNITY")
        message = await s.communities.request_teams_channel(
            org.id, community_id, None, team_id, name
        )
        return (
            f"requested channel {message.payload['display_name']!r} in team "
            f"{message.payload['team_id']} (outbox row {message.id}); the worker creates it"
        )

    click.echo(run(ctx, work))


@communities_group.group("analytics")
def analytics_group() -> None:
    """Outcome analytics."""


@analytics_group.command("export")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--community", "community_ref", default=None, help="One community's id.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "svg", "png"]),
    default="json",
    show_default=True,
    help="svg and png draw the weekly activity chart.",
)
@click.option("--start", default=None, help="ISO time with offset (default: 12 weeks ago).")
@click.option("--end", default=None, help="ISO time with offset (default: now).")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to a file (required for svg and png).",
)
@pass_ctx
def analytics_export(
    ctx: Context,
    org_ref: str,
    community_ref: str | None,
    fmt: str,
    start: str | None,
    end: str | None,
    output: Path | None,
) -> None:
    """Export questions, answers, first-answer times, deflection, cohorts, contributors and
    expert load for an organisation or one community."""
    if fmt in ("svg", "png") and output is None:
        fail("charts need --output FILE")
    period = (_when(start, "start"), _when(end, "end"))

    async def work(s: Services) -> bytes:
        org = await s.people.organisation(org_ref)
        community = parse_id(community_ref, "--community") if community_ref else None
        _, body = await s.communities.export_analytics(org.id, fmt, community, *period)
        return body

    body = run(ctx, work)
    if output is None:
        click.echo(body.decode(), nl=False)
        if not body.endswith(b"\n"):
            click.echo()
    else:
        output.write_bytes(body)
        click.echo(f"wrote {output} ({len(body):,} bytes)", err=True)
