"""`peerlearn experts …`, `peerlearn skills …` and `peerlearn import qa`: expert matching from
the command line, the skill vocabulary, and question-and-answer history import."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from adapters.files.qa import read_history
from app.cli import Context, fail, pass_ctx, run
from core.errors import PeerlearnError
from core.expertise.history import HistoryThread, ImportProblem
from core.services import Services


def _split_tags(tags: tuple[str, ...]) -> list[str]:
    return [t.strip() for value in tags for t in value.split(",") if t.strip()]


@click.group("experts")
def experts_group() -> None:
    """Find the best available expert for a question; routing upkeep."""


@experts_group.command("match")
@click.argument("text", required=False)
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--tags", multiple=True, help="Skill names, comma-separated or repeated.")
@click.option("--top", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--asker", default=None, help="Person id of the asker (excluded, zone overlap).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--batch",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help='JSON Lines of {"id","text","tags"}; prints one {"id","experts"} line per query.',
)
@pass_ctx
def experts_match(
    ctx: Context,
    text: str | None,
    org_ref: str,
    tags: tuple[str, ...],
    top: int,
    asker: str | None,
    as_json: bool,
    batch: Path | None,
) -> None:
    """Rank the best available experts for TEXT, with the reasons for each."""
    if batch is None and not text:
        fail("give the question TEXT or --batch QUERIES.jsonl")
    if batch is not None and text:
        fail("give either TEXT or --batch, not both")

    async def one(s: Services) -> Any:
        from core.ids import parse_id

        org = await s.people.organisation(org_ref)
        asker_id = parse_id(asker, "--asker") if asker else None
        result = await s.expertise.match(
            org.id, text or "", _split_tags(tags), asker_id=asker_id, top=top
        )
        labels = await s.expertise.person_labels(org.id, [e.person_id for e in result.experts])
        return result, labels

    async def many(s: Services) -> list[tuple[int, dict[str, Any]]]:
        assert batch is not None
        org = await s.people.organisation(org_ref)
        out: list[tuple[int, dict[str, Any]]] = []
        with batch.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    query = json.loads(raw)
                    if not isinstance(query, dict):
                        raise ValueError("each line must be a JSON object")
                    qid = query.get("id", number)
                    qtags = query.get("tags") or []
                    if not isinstance(qtags, list):
                        raise ValueError("'tags' must be a list")
                    if not isinstance(query.get("text"), str):
                        raise ValueError("'text' must be a string")
                    result = await s.expertise.match(
                        org.id, query["text"], qtags, top=top, strict_tags=False
                    )
                except (ValueError, PeerlearnError) as exc:
                    out.append((number, {"error": str(exc)}))
                    continue
                labels = await s.expertise.person_labels(
                    org.id, [e.person_id for e in result.experts]
                )
                out.append(
                    (
                        number,
                        {
                            "id": qid,
                            "experts": [
                                {
                                    "person": labels[e.person_id],
                                    "score": round(e.score, 4),
                                    "reasons": list(e.reasons),
                                }
                                for e in result.experts
                            ],
                        },
                    )
                )
        return out

    if batch is not None:
        failed = 0
        for number, line in run(ctx, many):
            if "error" in line:
                failed += 1
                click.echo(f"line {number}: {line['error']}", err=True)
            else:
                click.echo(json.dumps(line, ensure_ascii=False))
        if failed:
            sys.exit(1)
        return

    result, labels = run(ctx, one)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "experts": [
                        {
                            "person": labels[e.person_id],
                            "person_id": str(e.person_id),
                            "score": round(e.score, 4),
                            "reasons": list(e.reasons),
                        }
                        for e in result.experts
                    ]
                },
                ensure_ascii=False,
            )
        )
        return
    if not result.experts:
        click.echo("nobody has shown expertise on this yet")
    for rank, e in enumerate(result.experts, start=1):
        click.echo(f"{rank}. {labels[e.person_id]}  ({e.score:.3f})")
        for reason in e.reasons:
            click.echo(f"     - {reason}")


@experts_group.command("sweep")
@pass_ctx
def experts_sweep(ctx: Context) -> None:
    """Expire routing offers nobody accepted in time and route those questions onwards."""

    async def work(s: Services) -> int:
        return await s.expertise.sweep()

    click.echo(f"{run(ctx, work)} offers expired and re-routed")


@experts_group.command("analytics")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--start", default=None, help="ISO time with offset (default: 12 weeks ago).")
@click.option("--end", default=None, help="ISO time with offset (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def experts_analytics(
    ctx: Context, org_ref: str, start: str | None, end: str | None, as_json: bool
) -> None:
    """Questions asked in a period: how many the askers resolved from reused answers or
    resources (deflection), and how many were routed and answered."""
    period = (_moment(start, "--start"), _moment(end, "--end"))

    async def work(s: Services) -> dict[str, Any]:
        org = await s.people.organisation(org_ref)
        return (await s.expertise.deflection_figures(org.id, *period)).as_dict()

    figures = run(ctx, work)
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    share = figures["deflection_share"]
    click.echo(f"{figures['start'][:10]} – {figures['end'][:10]}")
    click.echo(f"questions asked   {figures['questions_asked']}")
    click.echo(
        f"deflected         {figures['deflected']}"
        + (f" ({share:.0%})" if share is not None else "")
        + f": {figures['deflected_by_answered_question']} by an answered question, "
        f"{figures['deflected_by_resource']} by a resource"
    )
    click.echo(f"routed            {figures['routed']}")
    click.echo(f"answered          {figures['answered']}")


def _moment(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{name} is a time such as 2026-03-01T00:00:00+00:00")
    if moment.tzinfo is None:
        fail(f"{name} needs a UTC offset")
    return moment


@click.group("skills")
def skills_group() -> None:
    """The organisation's skill vocabulary: canonical skills and their aliases."""


@skills_group.command("list")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@pass_ctx
def skills_list(ctx: Context, org_ref: str, as_json: bool) -> None:
    """List skills with their aliases."""

    async def work(s: Services) -> list[str]:
        org = await s.people.organisation(org_ref)
        skills = await s.expertise.skills(org.id)
        if as_json:
            return [
                json.dumps({"id": str(k.id), "name": k.name, "aliases": list(k.aliases)})
                for k in skills
            ]
        return [f"{k.name}\t{', '.join(k.aliases)}\t{k.id}" for k in skills]

    lines = run(ctx, work)
    if not lines and not as_json:
        click.echo("no skills yet")
    for line in lines:
        click.echo(line)


@skills_group.command("add")
@click.argument("name")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option("--alias", "aliases", multiple=True, help="Another name for it (repeatable).")
@pass_ctx
def skills_add(ctx: Context, name: str, org_ref: str, aliases: tuple[str, ...]) -> None:
    """Add a canonical skill with aliases, e.g. kubernetes --alias k8s."""

    async def work(s: Services) -> str:
        org = await s.people.organisation(org_ref)
        skill = await s.expertise.add_skill(org.id, name, aliases)
        return f"added {skill.name} ({', '.join(skill.aliases)})"

    click.echo(run(ctx, work))


@skills_group.command("alias")
@click.argument("skill")
@click.argument("alias")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@pass_ctx
def skills_alias(ctx: Context, skill: str, alias: str, org_ref: str) -> None:
    """Make ALIAS another name of SKILL."""

    async def work(s: Services) -> str:
        org = await s.people.organisation(org_ref)
        found = await s.expertise.add_alias(org.id, skill, alias)
        return f"{found.name}: {', '.join(found.aliases)}"

    click.echo(run(ctx, work))


@skills_group.command("rename")
@click.argument("skill")
@click.argument("new_name")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@pass_ctx
def skills_rename(ctx: Context, skill: str, new_name: str, org_ref: str) -> None:
    """Rename SKILL; its old name keeps working as an alias."""

    async def work(s: Services) -> str:
        org = await s.people.organisation(org_ref)
        found = await s.expertise.rename_skill(org.id, skill, new_name)
        return f"renamed to {found.name} (aliases: {', '.join(found.aliases)})"

    click.echo(run(ctx, work))


@skills_group.command("merge")
@click.argument("source")
@click.argument("target")
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@pass_ctx
def skills_merge(ctx: Context, source: str, target: str, org_ref: str) -> None:
    """Merge SOURCE into TARGET: every question, profile and endorsement follows."""

    async def work(s: Services) -> str:
        org = await s.people.organisation(org_ref)
        found = await s.expertise.merge_skills(org.id, source, target)
        return f"merged into {found.name} (aliases: {', '.join(found.aliases)})"

    click.echo(run(ctx, work))


@click.group("import")
def import_group() -> None:
    """Bring history in from elsewhere."""


@import_group.command("qa")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_ref", required=True, help="Organisation slug or id.")
@click.option(
    "--source",
    default="qa",
    show_default=True,
    help="Name of the source; people are matched by their user id within it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_ctx
def import_qa(ctx: Context, file: Path, org_ref: str, source: str, as_json: bool) -> None:
    """Import question-and-answer history (JSONL, optionally .gz, or a Stack Exchange Posts.xml):
    people, questions, answers and evidence. Idempotent; malformed lines are reported by number
    and nothing of them is written."""
    try:
        items: list[HistoryThread | ImportProblem] = list(read_history(file))
    except ValueError as exc:
        fail(str(exc))
        return

    async def work(s: Services) -> Any:
        org = await s.people.organisation(org_ref)
        with click.progressbar(length=len(items), label="importing", file=sys.stderr) as bar:
            summary = await s.expertise.import_history(
                org.id, items, source=source, progress=bar.update
            )
        if summary.questions and ctx.settings.semantic != "off":
            click.echo("embedding the imported threads (semantic signal)…", err=True)
            await s.expertise.prepare_index(org.id)
        return summary

    summary = run(ctx, work)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "questions": summary.questions,
                    "already_imported": summary.already_imported,
                    "answers": summary.answers,
                    "people": summary.people,
                    "skills": summary.skills,
                    "rejected": [{"line": p.line, "reason": p.reason} for p in summary.rejected],
                }
            )
        )
    else:
        click.echo(
            f"imported {summary.questions} questions, {summary.answers} answers, "
            f"{summary.people} new people, {summary.skills} new skills; "
            f"{summary.already_imported} already imported; {len(summary.rejected)} rejected"
        )
        for p in summary.rejected:
            click.echo(f"  line {p.line}: {p.reason}")
    if summary.rejected:
        sys.exit(1)
