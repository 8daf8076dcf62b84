"""Question-and-answer history records, validated before anything is written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.errors import InvalidInput
from core.expertise.model import MAX_QUESTION_CHARS, MAX_TAGS

MAX_ANSWERS = 500
MAX_ANSWER_CHARS = 100_000


@dataclass(frozen=True)
class ImportProblem:
    """A line of an import that was not written, and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class HistoryAnswer:
    source_id: str
    user: str
    score: int = 0
    text: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class HistoryThread:
    """One question of an imported history with its answers; ids are the source's own."""

    line: int
    source_id: str
    title: str
    body: str
    tags: tuple[str, ...]
    asker: str | None
    accepted_user: str | None
    answers: tuple[HistoryAnswer, ...] = field(default=())
    created_at: datetime | None = None


def _user(value: Any, what: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(f"{what} must be a user id (string or number)")
    text = str(value).strip()
    if len(text) > 200:
        raise InvalidInput(f"{what} is longer than 200 characters")
    return text or None


def _text(value: Any, what: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"'{what}' must be text")
    if len(value) > limit:
        raise InvalidInput(f"'{what}' is longer than {limit:,} characters")
    return value


def _when(value: Any, what: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"'{what}' must be an ISO 8601 date-time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"'{what}' is not an ISO 8601 date-time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"'{what}' needs a UTC offset, e.g. 2019-05-01T10:00:00Z")
    return parsed


def thread_from_record(line: int, record: Mapping[str, Any]) -> HistoryThread:
    """One JSONL record (`qid, title, body, tags, asker, accepted, answers`) → a thread."""
    qid = record.get("qid", record.get("id"))
    if qid is None or isinstance(qid, bool) or not isinstance(qid, str | int) or str(qid) == "":
        raise InvalidInput("'qid' (the question's id in the source) is required")
    title = _text(record.get("title"), "title", 1000)
    body = _text(record.get("body"), "body", MAX_QUESTION_CHARS)
    if not title.strip() and not body.strip():
        raise InvalidInput("the question has neither a title nor a body")
    tags_raw = record.get("tags") or []
    if isinstance(tags_raw, str):
        tags_raw = [t for t in tags_raw.replace("|", " ").replace(",", " ").split() if t]
    if not isinstance(tags_raw, list) or not all(isinstance(t, str) for t in tags_raw):
        raise InvalidInput("'tags' must be a list of strings")
    tags = tuple(dict.fromkeys(t.strip() for t in tags_raw if t.strip()))[:MAX_TAGS]
    answers_raw = record.get("answers") or []
    if not isinstance(answers_raw, list):
        raise InvalidInput("'answers' must be a list")
    if len(answers_raw) > MAX_ANSWERS:
        raise InvalidInput(f"more than {MAX_ANSWERS} answers to one question")
    answers: list[HistoryAnswer] = []
    seen: set[str] = set()
    for index, raw in enumerate(answers_raw, start=1):
        if not isinstance(raw, dict):
            raise InvalidInput(f"answer {index} is not an object")
        user = _user(raw.get("user"), f"answer {index} user")
        if user is None:
            continue  # answers by deleted accounts carry no expertise
        answer_id = raw.get("answer_id", raw.get("id"))
        source_id = str(answer_id) if answer_id not in (None, "") else f"{qid}:{index}"
        if source_id in seen:
            raise InvalidInput(f"answer id {source_id} appears twice")
        seen.add(source_id)
        score = raw.get("score", 0)
        if isinstance(score, bool) or not isinstance(score, int):
            raise InvalidInput(f"answer {index} score must be an integer")
        answers.append(
            HistoryAnswer(
                source_id=source_id,
                user=user,
                score=score,
                text=_text(raw.get("text"), f"answer {index} text", MAX_ANSWER_CHARS),
                created_at=_when(raw.get("created_at"), f"answer {index} created_at"),
            )
        )
    return HistoryThread(
        line=line,
        source_id=str(qid),
        title=title,
        body=body,
        tags=tags,
        asker=_user(record.get("asker"), "asker"),
        accepted_user=_user(record.get("accepted"), "accepted"),
        answers=tuple(answers),
        created_at=_when(record.get("created_at"), "created_at"),
    )
