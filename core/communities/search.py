"""Library search: tokenising stored text and ranking posts by BM25 relevance and recency.

The index keeps term frequencies per post (the repository stores them); ranking is done here so
every database gives the same order.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from core.communities.ports import SearchStats

K1 = 1.2
B = 0.75
#: how much a brand-new post gains over an old one with the same relevance
RECENCY_WEIGHT = 0.25
RECENCY_HALF_LIFE_DAYS = 90.0
MAX_QUERY_TERMS = 16

_WORD = re.compile(r"\w+", re.UNICODE)
STOPWORDS = frozenset(
    """a an and are as at be but by can do does for from has have how i if in into is it its
    me my no not of on or our so than that the their them then there these they this to too
    us was we were what when where which who why will with you your""".split()
)


def _stem(word: str) -> str:
    """A light English suffix strip so 'prompts'/'prompting' meet 'prompt'."""
    for suffix in ("ing", "ies", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def tokens(text: str) -> list[str]:
    """Words of `text`: NFKC, case-folded, stop words dropped, lightly stemmed, 2–40 chars."""
    norm = unicodedata.normalize("NFKC", text).casefold()
    out = []
    for word in _WORD.findall(norm):
        if word in STOPWORDS or len(word) > 40:
            continue
        if len(word) < 2 and not word.isdigit():
            continue
        out.append(_stem(word))
    return out


def term_frequencies(text: str) -> dict[str, int]:
    return dict(Counter(tokens(text)))


def query_terms(text: str) -> list[str]:
    seen: list[str] = []
    for t in tokens(text):
        if t not in seen:
            seen.append(t)
    return seen[:MAX_QUERY_TERMS]


def bm25_term(tf: int, length: int, average_length: float, weight: float) -> float:
    """One term's BM25 contribution; repositories that score in SQL use the same formula."""
    norm = K1 * (1 - B + B * length / (average_length or 1.0))
    return weight * tf * (K1 + 1) / (tf + norm)


#: the document length an index may assume to order a term's posts by impact before searching
IMPACT_REFERENCE_LENGTH = 100.0


def impact(tf: int, length: int) -> float:
    """A term's BM25 saturation in one post against a fixed reference length: the order in
    which an index can offer a common term's posts (the final score uses the real average)."""
    return bm25_term(tf, length, IMPACT_REFERENCE_LENGTH, 1.0)


def weights(terms: Sequence[str], stats: SearchStats) -> dict[str, float]:
    """BM25 idf per query term (terms found nowhere are dropped)."""
    n = stats.documents
    return {
        t: math.log(1 + (n - df + 0.5) / (df + 0.5))
        for t in terms
        if (df := stats.document_frequency.get(t, 0)) > 0
    }


@dataclass(frozen=True)
class Hit:
    post_id: UUID
    score: float
    relevance: float


def rerank(
    relevance: Sequence[tuple[UUID, float]],
    facts: Mapping[UUID, tuple[datetime, int]],
    now: datetime,
    limit: int,
) -> list[Hit]:
    """Relevance first, then a gentle recency and upvote boost; best first.

    `facts` maps post ids to (created_at, upvotes). A brand-new post gains at most
    `RECENCY_WEIGHT` over an old one, so recency orders near-equals, never buries relevance.
    """
    hits = []
    for post_id, rel in relevance:
        if post_id not in facts:
            continue
        created, upvotes = facts[post_id]
        age_days = max(0.0, (now - created).total_seconds() / 86400)
        recency = 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS)
        score = rel * (1 + RECENCY_WEIGHT * recency) * (1 + 0.05 * math.log1p(upvotes))
        hits.append(Hit(post_id, round(score, 6), rel))
    hits.sort(key=lambda h: (-h.score, str(h.post_id)))
    return hits[:limit]


def similarity(relevance: float, term_weights: Mapping[str, float]) -> float:
    """Relevance scaled to 0..1 against a post that matches every query term strongly."""
    best = sum(w * (K1 + 1) / (1 + K1) for w in term_weights.values())
    if best <= 0:
        return 0.0
    return round(min(1.0, relevance / best), 4)
