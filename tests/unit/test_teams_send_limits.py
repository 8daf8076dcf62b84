"""Teams' limits as shared data: the per-conversation windows, the hour by minutes, holds, and
the per-tenant budget."""

from __future__ import annotations

import pytest

from core.teams.limits import (
    TENANT_QUEUE_SPACING,
    TENANT_WINDOWS,
    SendHistory,
    send_key,
    tenant_key,
)

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


def test_a_tenant_budget_allows_fifty_a_second_and_remembers_only_that_second() -> None:
    history = SendHistory()
    for i in range(50):
        assert history.delay(T0 + i * 0.01, TENANT_WINDOWS) == 0.0
        history = history.record(T0 + i * 0.01, span=1.0)
    # the 51st waits until the first send leaves the second
    assert history.delay(T0 + 0.5, TENANT_WINDOWS) == pytest.approx(0.5)
    assert history.delay(T0 + 1.0, TENANT_WINDOWS) == 0.0
    # kept small: a second of send times, no minute counts (the row is written on every send)
    later = history.record(T0 + 1.2, span=1.0)
    assert len(later.recent) == 30 and later.minutes == ()
    assert SendHistory.from_json(later.to_json()) == later


def test_senders_waiting_for_the_tenant_are_spaced_at_fifty_a_second() -> None:
    history = SendHistory()
    for i in range(50):
        history = history.record(T0 + i * 0.001, span=1.0)
    waits = []
    for _ in range(3):
        wait, history = history.queue(
            T0 + 0.1, history.delay(T0 + 0.1, TENANT_WINDOWS), TENANT_QUEUE_SPACING
        )
        waits.append(wait)
    assert waits == pytest.approx([0.9, 0.92, 0.94])


def test_tenant_budgets_are_stored_apart_from_conversations() -> None:
    assert tenant_key("72f988bf") == "tenant:72f988bf"
    # conversation ids start with `a:`, `19:`, `29:`…, never with `tenant:`
    assert send_key("a:personal") != tenant_key("a:personal")


async def test_the_in_process_throttle_counts_the_tenant_s_budget_too() -> None:
    from bot.throttle import ConversationThrottle, Throttled

    now = [0.0]
    throttle = ConversationThrottle(monotonic=lambda: now[0])
    for i in range(50):
        await throttle.acquire(f"a:chat-{i}", 0.0, "contoso")
    with pytest.raises(Throttled) as waited:
        await throttle.acquire("a:chat-50", 0.0, "contoso")
    assert waited.value.wait == pytest.approx(1.0)
    # another tenant has its own budget; without a tenant only the conversation counts
    await throttle.acquire("a:chat-50", 0.0, "fabrikam")
    await throttle.acquire("a:chat-51", 0.0)
    now[0] = 1.0
    await throttle.acquire("a:chat-52", 0.0, "contoso")
