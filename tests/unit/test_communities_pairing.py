"""Peer pairing fairness over many rounds, checked against an exhaustive oracle."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from core.communities.pairing import pair_up, pairs_of, repeats


def partitions(people: list[int], trio_left: bool) -> Iterator[list[tuple[int, ...]]]:
    """Every grouping into pairs (plus one trio when the count is odd)."""
    if not people:
        yield []
        return
    first, rest = people[0], people[1:]
    for i, other in enumerate(rest):
        remaining = rest[:i] + rest[i + 1 :]
        if not trio_left and len(remaining) % 2:
            continue
        for tail in partitions(remaining, trio_left):
            yield [(first, other), *tail]
    if trio_left:
        for i in range(len(rest)):
            for j in range(i + 1, len(rest)):
                remaining = [p for k, p in enumerate(rest) if k not in (i, j)]
                for tail in partitions(remaining, False):
                    yield [(first, rest[i], rest[j]), *tail]


def fewest_repeats(people: list[int], history: set[frozenset[int]]) -> int:
    if len(people) == 3:
        return repeats([tuple(people)], history)
    return min(repeats(p, history) for p in partitions(people, len(people) % 2 == 1))


def check_round(people: list[int], groups: list[tuple[int, ...]]) -> None:
    flat = [p for g in groups for p in g]
    assert sorted(flat) == sorted(people), "everyone is in exactly one group"
    sizes = sorted(len(g) for g in groups)
    if len(people) % 2:
        assert sizes == [2] * (len(people) // 2 - 1) + [3], "one trio for an odd count"
    else:
        assert sizes == [2] * (len(people) // 2), "only pairs for an even count"


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=9),
    rounds=st.integers(min_value=1, max_value=10),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_pairing_never_repeats_a_pair_while_a_new_one_is_possible(
    n: int, rounds: int, seed: int
) -> None:
    people = list(range(n))
    history: set[frozenset[int]] = set()
    for number in range(rounds):
        groups = pair_up(people, history, seed=seed + number)
        check_round(people, groups)
        assert repeats(groups, history) == fewest_repeats(people, history)
        history |= pairs_of(groups)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=4, max_value=9),
    met=st.sets(st.tuples(st.integers(0, 8), st.integers(0, 8)), max_size=20),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_pairing_around_an_arbitrary_history_is_optimal(
    n: int, met: set[tuple[int, int]], seed: int
) -> None:
    people = list(range(n))
    history = {frozenset(p) for p in met if p[0] != p[1] and max(p) < n}
    groups = pair_up(people, history, seed=seed)
    check_round(people, groups)
    assert repeats(groups, history) == fewest_repeats(people, history)


def test_a_large_cohort_is_paired_quickly_and_fully() -> None:
    people = list(range(61))
    history: set[frozenset[int]] = set()
    for number in range(6):
        groups = pair_up(people, history, seed=number)
        check_round(people, groups)
        assert repeats(groups, history) == 0
        history |= pairs_of(groups)
