"""Read question-and-answer history: JSON Lines (optionally gzipped) or a Stack Exchange /
Stack Overflow for Teams `Posts.xml` export, as validated threads or numbered problems."""

from __future__ import annotations

import gzip
import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast
from xml.etree.ElementTree import ParseError

from defusedxml.ElementTree import iterparse

from core.errors import PeerlearnError
from core.expertise.history import HistoryThread, ImportProblem, thread_from_record

_TAG = re.compile(r"<[^>]+>")
_XML_TAGS = re.compile(r"<([^<>]+)>")


def _open(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def read_history(path: Path) -> Iterator[HistoryThread | ImportProblem]:
    """Threads of `path` in file order; malformed lines come back as problems with their number."""
    name = path.name.lower()
    if name.endswith((".xml", ".xml.gz")):
        yield from _posts_xml(path)
    elif name.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".json")):
        yield from _jsonl(path)
    else:
        raise ValueError(f"{path.name}: expected .jsonl, .jsonl.gz or a Stack Exchange Posts.xml")


def _jsonl(path: Path) -> Iterator[HistoryThread | ImportProblem]:
    with _open(path) as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield ImportProblem(number, f"not valid JSON ({exc.__class__.__name__}: {exc})")
                continue
            if not isinstance(value, dict):
                yield ImportProblem(number, "each line must be a JSON object")
                continue
            try:
                yield thread_from_record(number, value)
            except PeerlearnError as exc:
                yield ImportProblem(number, exc.message)


def _plain(body: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", body or "")).split())


def _date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat()
    except ValueError:
        return None


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _posts_xml(path: Path) -> Iterator[HistoryThread | ImportProblem]:
    """Posts.xml rows: questions (PostTypeId 1) and answers (2) joined by ParentId."""
    questions: dict[str, dict[str, Any]] = {}
    answers: dict[str, list[dict[str, Any]]] = {}
    problems: list[ImportProblem] = []
    number = 0
    with _open(path) as fh:
        try:
            for _, elem in iterparse(fh, events=("end",)):
                if elem.tag != "row":
                    continue
                number += 1
                a = elem.attrib
                kind = a.get("PostTypeId")
                if kind == "1":
                    if not a.get("Id"):
                        problems.append(ImportProblem(number, "a question row without an Id"))
                    else:
                        questions[a["Id"]] = {
                            "line": number,
                            "qid": a["Id"],
                            "title": _plain(a.get("Title", "")),
                            "body": _plain(a.get("Body", "")),
                            "tags": _XML_TAGS.findall(a.get("Tags", ""))
                            or [t for t in a.get("Tags", "").split("|") if t],
                            "asker": a.get("OwnerUserId"),
                            "accepted_answer": a.get("AcceptedAnswerId"),
                            "created_at": _date(a.get("CreationDate")),
                        }
                elif kind == "2":
                    if not a.get("ParentId"):
                        problems.append(ImportProblem(number, "an answer row without a ParentId"))
                    else:
                        answers.setdefault(a["ParentId"], []).append(
                            {
                                "answer_id": a.get("Id"),
                                "user": a.get("OwnerUserId"),
                                "score": _int(a.get("Score")),
                                "text": _plain(a.get("Body", "")),
                                "created_at": _date(a.get("CreationDate")),
                            }
                        )
                elem.clear()
        except ParseError as exc:
            problems.append(ImportProblem(exc.position[0], f"malformed XML: {exc}"))
        except ValueError as exc:
            problems.append(ImportProblem(number + 1, f"refused XML: {exc}"))
    yield from problems
    for qid, q in questions.items():
        thread_answers = answers.get(qid, [])
        accepted_user = None
        for ans in thread_answers:
            if q["accepted_answer"] and ans["answer_id"] == q["accepted_answer"]:
                accepted_user = ans["user"]
        record = {**q, "answers": thread_answers, "accepted": accepted_user}
        try:
            yield thread_from_record(q["line"], record)
        except PeerlearnError as exc:
            yield ImportProblem(q["line"], exc.message)
