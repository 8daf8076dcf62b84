"""Peer pairing inside a cohort.

Rules: everyone is in exactly one group; groups are pairs, plus one trio when the count is odd
(nobody is left out); no pair repeats while a grouping without repeats exists. The search is an
exact branch-and-bound over partitions (most constrained person first) with a step budget; past
the budget it keeps the grouping with the fewest repeats found so far.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import TypeVar

from core.errors import InvalidInput

T = TypeVar("T")

DEFAULT_BUDGET = 200_000


def pairs_of(groups: Iterable[Sequence[T]]) -> set[frozenset[T]]:
    """Every unordered pair that met inside the given groups."""
    out: set[frozenset[T]] = set()
    for g in groups:
        for a, b in combinations(g, 2):
            out.add(frozenset((a, b)))
    return out


def repeats(groups: Iterable[Sequence[T]], history: set[frozenset[T]]) -> int:
    return sum(1 for p in pairs_of(groups) if p in history)


def pair_up(
    people: Sequence[T],
    history: set[frozenset[T]],
    seed: int = 0,
    budget: int = DEFAULT_BUDGET,
) -> list[tuple[T, ...]]:
    """Group `people` in pairs (one trio when odd) avoiding every pair in `history`."""
    members = list(dict.fromkeys(people))
    if len(members) < 2:
        raise InvalidInput("pairing needs at least two people")
    rng = random.Random(seed)
    rng.shuffle(members)
    if len(members) == 3:
        return [tuple(members)]

    best: list[list[tuple[T, ...]]] = []
    best_cost = [len(members) * 3 + 1]
    steps = [0]

    def cost(a: T, b: T) -> int:
        return 1 if frozenset((a, b)) in history else 0

    def new_partners(person: T, pool: set[T]) -> int:
        return sum(1 for other in pool if other != person and not cost(person, other))

    def search(pool: set[T], groups: list[tuple[T, ...]], spent: int, trio_left: bool) -> bool:
        steps[0] += 1
        if spent >= best_cost[0]:
            return False
        if not pool:
            best_cost[0] = spent
            best[:] = [list(groups)]
            return spent == 0
        if steps[0] > budget and best:
            return True
        # the person with the fewest fresh partners goes first: fail early, prune hard
        person = min(pool, key=lambda p: (new_partners(p, pool), members.index(p)))
        rest = pool - {person}
        options = sorted(rest, key=lambda o: (cost(person, o), members.index(o)))
        if not trio_left or len(rest) > 2:
            for other in options:
                remaining = rest - {other}
                if not trio_left and len(remaining) == 1:
                    continue
                groups.append((person, other))
                done = search(remaining, groups, spent + cost(person, other), trio_left)
                groups.pop()
                if done:
                    return True
        if trio_left:
            trios = sorted(
                combinations(options, 2),
                key=lambda pair: cost(person, pair[0]) + cost(person, pair[1]) + cost(*pair),
            )
            for a, b in trios:
                extra = cost(person, a) + cost(person, b) + cost(a, b)
                groups.append((person, a, b))
                done = search(rest - {a, b}, groups, spent + extra, False)
                groups.pop()
                if done:
                    return True
        return False

    search(set(members), [], 0, len(members) % 2 == 1)
    return [tuple(g) for g in best[0]]
