"""Text normalisation shared by the vocabulary, the index and answer reuse.

Case- and accent-insensitive: "Kubernetes", "KUBERNETES" and "kübernetes" fold to one form.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SEPARATORS = re.compile(r"[\s\-_./]+")

# small English stop list: words that say nothing about who knows the answer
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    also any anyone anything get got im ive dont doesnt didnt isnt cant wont would could should
    may might must shall one like know want way use using used thanks please hi hello question
    questions""".split()
)


def fold(text: str) -> str:
    """Lower case without accents or compatibility forms (NFKD, marks removed, casefold)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold()


def _stem(word: str) -> str:
    """A deliberately light stemmer: plural and common verb endings only."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=262144)
def _term(word: str) -> str:
    """The index term of one folded word, or "" for words that say nothing."""
    if len(word) < 2 or word in STOPWORDS:
        return ""
    return _stem(word)


def tokens(text: str) -> list[str]:
    """Content words of `text`, folded and lightly stemmed, in order."""
    terms = map(_term, _WORD.findall(fold(text)))
    return [t for t in terms if t]


def term_counts(text: str) -> Counter[str]:
    return Counter(tokens(text))


def skill_key(name: str) -> str:
    """The comparison key of a skill name: folded, separators collapsed to one space.

    "Generative-AI", "generative_ai" and "Generative AI" share the key "generative ai".
    """
    return " ".join(_SEPARATORS.split(fold(name).strip())).strip()


def phrases(text: str, longest: int = 3) -> set[str]:
    """Every run of 1..`longest` words of `text` as a skill key, to spot skills named in text."""
    words = _WORD.findall(fold(text))
    found: set[str] = set()
    for size in range(1, longest + 1):
        for start in range(len(words) - size + 1):
            found.add(" ".join(words[start : start + size]))
    return found
