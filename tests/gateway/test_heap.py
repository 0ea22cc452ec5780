"""The heap is given back once after a burst of connections has closed, not on churn."""

from __future__ import annotations

from twisted.internet.task import Clock

from openclaw.gateway.heap import BURST_MIN, SETTLE_SECONDS, AfterBursts


def _counted():
    clock, trims = Clock(), []
    return clock, trims, AfterBursts(clock, lambda: trims.append(clock.seconds()))


def test_a_burst_that_closed_gives_the_heap_back_once_closing_settles():
    clock, trims, bursts = _counted()
    for _ in range(2 * BURST_MIN):
        bursts.opened()
    for _ in range(2 * BURST_MIN):
        bursts.closed()
        clock.advance(SETTLE_SECONDS / 10)  # still closing: the trim waits
    assert trims == []
    clock.advance(SETTLE_SECONDS)
    assert len(trims) == 1
    clock.advance(10 * SETTLE_SECONDS)
    assert len(trims) == 1


def test_churn_and_a_half_full_gateway_keep_their_heap():
    clock, trims, bursts = _counted()
    for _ in range(4 * BURST_MIN):
        bursts.opened()
    for _ in range(BURST_MIN - 1):  # fewer than a burst gone
        bursts.closed()
    for _ in range(10 * BURST_MIN):  # steady churn at the same level
        bursts.opened()
        bursts.closed()
    clock.advance(10 * SETTLE_SECONDS)
    assert trims == []
    for _ in range(2):  # now a burst is gone, but more than half the peak is still open
        bursts.closed()
    clock.advance(10 * SETTLE_SECONDS)
    assert trims == []


def test_the_next_burst_is_measured_from_what_was_left():
    clock, trims, bursts = _counted()
    for _ in range(2 * BURST_MIN):
        bursts.opened()
    for _ in range(2 * BURST_MIN):
        bursts.closed()
    clock.advance(SETTLE_SECONDS)
    for _ in range(BURST_MIN - 1):  # a smaller wave after the trim: no second trim
        bursts.opened()
    for _ in range(BURST_MIN - 1):
        bursts.closed()
    clock.advance(SETTLE_SECONDS)
    assert len(trims) == 1
    bursts.opened()  # peak reaches a burst again
    for _ in range(BURST_MIN):
        bursts.opened()
    for _ in range(BURST_MIN + 1):
        bursts.closed()
    clock.advance(SETTLE_SECONDS)
    assert len(trims) == 2


def test_stopping_cancels_a_pending_trim():
    clock, trims, bursts = _counted()
    for _ in range(BURST_MIN):
        bursts.opened()
    for _ in range(BURST_MIN):
        bursts.closed()
    bursts.stop()
    clock.advance(SETTLE_SECONDS)
    assert trims == []


def test_the_startup_heap_is_kept_out_of_later_collections():
    import gc

    from openclaw.gateway.heap import keep_startup_heap

    survivor = ["built at start-up"]  # (a list: the collector tracks every one)
    try:
        keep_startup_heap()
        assert gc.get_freeze_count() > 0
        assert not any(o is survivor for o in gc.get_objects())  # no generation holds it now
    finally:
        gc.unfreeze()  # this test process is not a gateway's
    assert any(o is survivor for o in gc.get_objects())
