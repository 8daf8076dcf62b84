"""Teams' per-conversation limits as shared data: the windows, the hour by minutes, holds."""

from __future__ import annotations

import pytest

from core.teams.limits import SendHistory, send_key

T0 = 1_800_000_000.0  # a whole minute


def sent(times: list[float]) -> SendHistory:
    history = SendHistory()
    for t in times:
        history = history.record(t)
    return history


def test_seven_a_second_then_eight_in_two_seconds() -> None:
    history = sent([T0 + i * 0.01 for i in range(7)])
    assert history.delay(T0 + 0.1) == pytest.approx(0.9)
    assert history.delay(T0 + 1.0) == 0.0
    history = history.record(T0 + 1.0)
    # eight in two seconds: the ninth waits for the first to leave the 2 s window
    assert history.delay(T0 + 1.1) == pytest.approx(0.9)


def test_sixty_in_thirty_seconds() -> None:
    history = sent([T0 + i * 0.5 for i in range(60)])
    assert history.delay(T0 + 29.9) == pytest.approx(0.1)
    assert history.delay(T0 + 30.0) == 0.0


def test_the_hour_is_counted_by_minutes_on_the_safe_side() -> None:
    # 1800 sends spread over the first 30 minutes of an hour
    history = SendHistory(minutes=tuple((int(T0 // 60) + m, 60) for m in range(30)))
    now = T0 + 45 * 60
    # the first minute's sends leave the hour at T0 + 61 min
    assert history.delay(now) == pytest.approx(16 * 60)
    assert history.delay(T0 + 61 * 60) == 0.0


def test_a_hold_and_a_round_trip_through_json() -> None:
    history = sent([T0]).hold(T0 + 30)
    assert history.delay(T0 + 10) == pytest.approx(20.0)
    again = SendHistory.from_json(history.to_json())
    assert again == history
    assert SendHistory.from_json("not json") == SendHistory()


def test_old_sends_are_forgotten() -> None:
    history = sent([T0 + i for i in range(100)]).record(T0 + 4000)
    assert len(history.recent) == 1
    assert len(history.minutes) == 1


def test_a_thread_counts_against_its_channel() -> None:
    assert send_key("19:abc@thread.tacv2;messageid=17") == "19:abc@thread.tacv2"
    assert send_key("a:personal") == "a:personal"


def test_senders_that_must_wait_get_times_spaced_apart() -> None:
    history = sent([T0 + i * 0.01 for i in range(7)])
    first, history = history.queue(T0 + 0.1, history.delay(T0 + 0.1))
    second, history = history.queue(T0 + 0.1, history.delay(T0 + 0.1))
    assert first == pytest.approx(0.9)
    assert second == pytest.approx(1.4)
    # a hold from Teams moves the line too
    later, _ = history.hold(T0 + 30).queue(T0 + 0.2, history.hold(T0 + 30).delay(T0 + 0.2))
    assert later == pytest.approx(29.8)
