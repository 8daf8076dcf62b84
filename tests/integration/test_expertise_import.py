"""Importing question-and-answer history: JSONL and Posts.xml, idempotent, malformed lines
reported with their numbers and never half-written; the real reference data when present."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from adapters.files.qa import read_history
from core.expertise.history import HistoryThread, ImportProblem
from core.services import Services

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "expert-finding"


def write_jsonl(path: Path, lines: list[Any]) -> Path:
    with path.open("w") as fh:
        for line in lines:
            fh.write(line if isinstance(line, str) else json.dumps(line))
            fh.write("\n")
    return path


GOOD = [
    {
        "qid": 1,
        "title": "how to roll back a deployment",
        "body": "pods crash after upgrade",
        "tags": ["kubernetes"],
        "asker": "7",
        "accepted": "20",
        "answers": [
            {"user": "20", "answer_id": 4, "score": 3, "text": "kubectl rollout undo"},
            {"user": "21", "answer_id": 5, "score": 1, "text": ""},
        ],
    },
    {
        "qid": 2,
        "title": "few shot prompts",
        "body": "",
        "tags": ["prompt-engineering", "genai"],
        "asker": "20",
        "accepted": None,
        "answers": [{"user": "7", "answer_id": 6, "score": 0, "text": ""}],
    },
]


async def counts(services: Services, org: Any) -> tuple[int, int]:
    from adapters.db.tables.expertise import AnswerRow, QuestionRow

    return (
        await QuestionRow.filter(organisation_id=org.id).count(),
        await AnswerRow.filter(organisation_id=org.id).count(),
    )


async def test_importing_the_same_history_twice_adds_nothing_the_second_time(
    services: Services, org: Any, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "qa.jsonl", GOOD)
    first = await services.expertise.import_history(org.id, read_history(path), source="se")
    assert (first.questions, first.answers, first.people, first.skills) == (2, 3, 3, 3)
    assert first.rejected == []
    again = await services.expertise.import_history(org.id, read_history(path), source="se")
    assert (again.questions, again.answers, again.people, again.already_imported) == (0, 0, 0, 2)
    assert await counts(services, org) == (2, 3)
    result = await services.expertise.match(org.id, "roll back a kubernetes deployment")
    labels = await services.expertise.person_labels(org.id, [e.person_id for e in result.experts])
    assert labels[result.experts[0].person_id] == "20"


async def test_malformed_lines_are_reported_by_number_and_nothing_of_them_is_written(
    services: Services, org: Any, tmp_path: Path
) -> None:
    lines: list[Any] = [
        GOOD[0],
        "{not json",
        {"title": "no id"},
        {"qid": 9, "title": "", "body": ""},
        {"qid": 10, "title": "bad answers", "answers": [{"user": "1", "score": "high"}]},
        [1, 2],
        GOOD[1],
    ]
    path = write_jsonl(tmp_path / "qa.jsonl", lines)
    summary = await services.expertise.import_history(org.id, read_history(path), source="se")
    assert [p.line for p in summary.rejected] == [2, 3, 4, 5, 6]
    assert "JSON" in summary.rejected[0].reason
    assert "qid" in summary.rejected[1].reason
    assert "score" in summary.rejected[3].reason
    assert summary.questions == 2
    assert await counts(services, org) == (2, 3)


async def test_a_stack_exchange_posts_xml_export_imports_with_accepted_answers(
    services: Services, org: Any, tmp_path: Path
) -> None:
    xml = tmp_path / "Posts.xml"
    xml.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
        '  <row Id="1" PostTypeId="1" AcceptedAnswerId="3" CreationDate="2019-05-01T10:00:00.000"'
        ' OwnerUserId="5" Title="Rolling back a Helm release"'
        ' Body="&lt;p&gt;How do I roll back &lt;code&gt;helm&lt;/code&gt;?&lt;/p&gt;"'
        ' Tags="&lt;kubernetes&gt;&lt;helm&gt;" />\n'
        '  <row Id="2" PostTypeId="2" ParentId="1" OwnerUserId="8" Score="1" Body="&lt;p&gt;no&lt;/p&gt;"'
        ' CreationDate="2019-05-01T11:00:00.000" />\n'
        '  <row Id="3" PostTypeId="2" ParentId="1" OwnerUserId="9" Score="4"'
        ' Body="&lt;p&gt;helm rollback&lt;/p&gt;" CreationDate="2019-05-01T12:00:00.000" />\n'
        "</posts>\n"
    )
    items = list(read_history(xml))
    assert all(isinstance(i, HistoryThread) for i in items)
    thread = items[0]
    assert isinstance(thread, HistoryThread)
    assert thread.tags == ("kubernetes", "helm")
    assert thread.accepted_user == "9"
    assert thread.body == "How do I roll back helm ?"
    summary = await services.expertise.import_history(org.id, items, source="so")
    assert (summary.questions, summary.answers) == (1, 2)
    result = await services.expertise.match(org.id, "helm rollback", tags=["helm"])
    labels = await services.expertise.person_labels(org.id, [e.person_id for e in result.experts])
    assert [labels[e.person_id] for e in result.experts][:2] == ["9", "8"]


def test_an_xml_bomb_is_refused(tmp_path: Path) -> None:
    xml = tmp_path / "Posts.xml"
    xml.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE posts [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>\n'
        '<posts><row Id="1" PostTypeId="1" Title="&b;" /></posts>\n'
    )
    items = list(read_history(xml))
    assert [type(i) for i in items] == [ImportProblem]


@pytest.mark.skipif(
    not SHARED.exists(), reason="reference data ../shared/reference/expert-finding absent"
)
async def test_real_stack_exchange_history_imports_idempotently(
    services: Services, org: Any, tmp_path: Path
) -> None:
    with gzip.open(SHARED / "se_history.jsonl.gz", "rt") as fh:
        rows = [json.loads(next(fh)) for _ in range(300)]
    path = write_jsonl(tmp_path / "history.jsonl", rows)
    first = await services.expertise.import_history(org.id, read_history(path), source="se")
    assert first.questions == 300 and first.rejected == []
    assert first.answers == sum(len([a for a in r["answers"] if a.get("user")]) for r in rows)
    second = await services.expertise.import_history(org.id, read_history(path), source="se")
    assert second.questions == 0 and second.already_imported == 300
    question = rows[-1]
    result = await services.expertise.match(
        org.id,
        f"{question['title']}\n{question['body']}",
        question["tags"],
        top=10,
        strict_tags=False,
    )
    labels = await services.expertise.person_labels(org.id, [e.person_id for e in result.experts])
    answerers = {str(a["user"]) for a in question["answers"]}
    assert answerers & {labels[e.person_id] for e in result.experts}
