"""The matching bench scores ties by their expected order: the same as averaging every order."""

from __future__ import annotations

import itertools

import pytest

from bench.matching import expected_metrics, metrics


def every_order(groups: list[list[str]]) -> list[list[str]]:
    return [
        [p for group in orders for p in group]
        for orders in itertools.product(*(itertools.permutations(g) for g in groups))
    ]


@pytest.mark.parametrize(
    ("groups", "truth"),
    [
        ([["a", "b", "c"], ["d"], ["e", "f"]], {"c"}),
        ([["a"], ["b", "c", "d", "e"]], {"c", "e"}),
        # a tie across the 10th place
        ([["x", "y"], ["s"], ["t"], ["u"], ["v"], ["a", "b", "c", "d", "e", "f"]], {"b", "y", "f"}),
        ([["a", "b"], ["c"]], {"z"}),
    ],
)
def test_expected_metrics_are_the_mean_over_every_order_of_each_tie(
    groups: list[list[str]], truth: set[str]
) -> None:
    orders = every_order(groups)
    expected = expected_metrics(groups, truth)
    for key in ("MRR", "P@1", "nDCG@10", "R@10"):
        mean = sum(metrics(order, truth)[key] for order in orders) / len(orders)
        assert expected[key] == pytest.approx(mean), key


def test_without_ties_the_expectation_is_the_ranking_itself() -> None:
    ranking = ["a", "b", "c", "d"]
    assert expected_metrics([[p] for p in ranking], {"c"}) == metrics(ranking, {"c"})
