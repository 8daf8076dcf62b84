"""Turning what people type into a command: forgiving wording, typos and @mentions."""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_TEXT = 2000
_TAG = re.compile(r"<[^>]{0,200}>")
_AT = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")
_POLITE = (
    "please",
    "pls",
    "could you",
    "can you",
    "would you",
    "i want to",
    "i would like to",
    "i'd like to",
    "id like to",
    "help me",
    "hey",
    "hello",
)
_FILLER = re.compile(r"^(to|for|about|on|with|me)\s+", re.IGNORECASE)


class BadPayload(Exception):
    """Card or invoke data of the wrong shape: answered with 400, nothing changes."""


@dataclass(frozen=True)
class Intent:
    """One thing the bot understands, with the phrases that ask for it."""

    name: str
    phrases: tuple[str, ...]
    usage: str
    summary: str


@dataclass(frozen=True)
class Command:
    name: str
    argument: str = ""
    #: the phrase we understood when the text had a typo ("helo" → "help")
    understood_as: str | None = None
    #: the cleaned text, for "did you mean" replies
    text: str = ""
    too_long: bool = False


def strip_mentions(text: str | None, mention_texts: Iterable[str] = ()) -> str:
    """Remove the bot's @mention (`<at>Name</at>`) and other markup Teams puts around text;
    other people's mentions keep their names."""
    text = text or ""
    for mention in mention_texts:
        if mention:
            text = text.replace(mention, " ")
    text = _AT.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text).replace("\u00a0", " ").replace("\u200b", "")
    return _SPACE.sub(" ", text).strip()


def _drop_polite(text: str) -> str:
    changed = True
    while changed:
        changed = False
        low = text.lower()
        for prefix in _POLITE:
            if low == prefix:
                return ""
            if low.startswith(prefix + " ") or low.startswith(prefix + ","):
                text = text[len(prefix) + 1 :].lstrip(" ,")
                changed = True
                break
    return text.rstrip(" ?!.")


def _argument(rest: str) -> str:
    rest = rest.strip(" :,-")
    return _FILLER.sub("", rest, count=1).strip() if rest else ""


def parse(text: str | None, intents: Sequence[Intent]) -> Command:
    """Pick the intent `text` asks for. Exact phrases win, then close spellings of them."""
    cleaned = _SPACE.sub(" ", (text or "")).strip()
    if len(cleaned) > MAX_TEXT:
        return Command("too_long", text=cleaned[:200], too_long=True)
    body = _drop_polite(cleaned)
    if not body:
        return Command("empty" if not cleaned else "greeting", text=cleaned)
    low = body.lower()
    phrases = sorted(
        ((phrase, intent) for intent in intents for phrase in intent.phrases),
        key=lambda pair: -len(pair[0]),
    )
    for phrase, intent in phrases:
        if low == phrase or low.startswith(phrase + " ") or low.startswith(phrase + ":"):
            return Command(intent.name, _argument(body[len(phrase) :]), text=body)
    # typos: compare the first one to three words against every phrase of that many words
    words = body.split(" ")
    best: tuple[int, str, Intent, int] | None = None
    for phrase, intent in phrases:
        n = len(phrase.split(" "))
        if n > len(words) or len(phrase) < 3:
            continue
        head = " ".join(words[:n]).lower()
        distance = edit_distance(head, phrase)
        if distance <= _allowed_typos(phrase) and (best is None or distance < best[0]):
            best = (distance, phrase, intent, n)
    if best is not None:
        _, phrase, intent, n = best
        return Command(intent.name, _argument(" ".join(words[n:])), understood_as=phrase, text=body)
    return Command("unknown", body, text=body)


def _allowed_typos(phrase: str) -> int:
    return 1 if len(phrase) <= 6 else 2


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, swaps."""
    if abs(len(a) - len(b)) > 3:
        return 99
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def suggestions(text: str, intents: Sequence[Intent], limit: int = 3) -> list[Intent]:
    """Intents whose phrases look most like `text` (for "did you mean …")."""
    first = (text.split(" ")[0] if text else "").lower()
    scored: list[tuple[float, Intent]] = []
    for intent in intents:
        score = max(
            difflib.SequenceMatcher(None, first, phrase.split(" ")[0]).ratio()
            for phrase in intent.phrases
        )
        scored.append((score, intent))
    scored.sort(key=lambda pair: -pair[0])
    return [intent for score, intent in scored[:limit] if score >= 0.5]
