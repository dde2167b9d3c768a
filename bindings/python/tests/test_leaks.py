"""Leaks: 100,000 calls of the common paths, with tracemalloc and RSS staying flat."""
import gc
import os
import tracemalloc
from decimal import Decimal

import pytest

import retain

CALLS = 100_000


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def common_paths(e, now, later):
    """One round of common calls (successes and errors); the database does not grow."""
    calls = [
        lambda: e.customers.upsert("c1", email="ann@example.com", name="Ann",
                                   attrs={"n": 1}, at=now),
        lambda: e.customers.get("c1"),
        lambda: e.customers.find(email="ann@example.com"),
        lambda: e.orders.record("o1", customer_id="c1", channel="web", placed_at=now,
                                currency="EUR", total=Decimal("25.00"),
                                lines=[("TEA", 2, Decimal("12.50"))]),
        lambda: e.orders.get("o1"),
        lambda: list(e.orders.for_customer("c1")),
        lambda: next(iter(e.events.for_customer("c1"))),  # left unfinished on purpose
        lambda: e.consent.get("c1", "email", "marketing"),
        lambda: e.shipments.get("s1"),
        lambda: e.events.track("c1", "page.viewed", at=now, host_event_id="same"),
        lambda: e.counts(),
        lambda: e.orders.record_many([{"id": "o2", "customer_id": "c1", "placed_at": later,
                                       "currency": "USD", "total": 100}]),
    ]
    errors = [
        lambda: e.customers.get("nobody"),
        lambda: e.customers.upsert("c1", email="bad", at=now),
        lambda: e.orders.record("o9", customer_id="c1", channel="web", placed_at=now,
                                currency="XXX", total=1),
        lambda: e.customers.upsert("c1", at=now.replace(tzinfo=None)),
        lambda: e.orders.get("nope"),
    ]
    return calls, errors


def run(calls, errors, n):
    done = 0
    while done < n:
        for c in calls:
            c()
        for c in errors:
            try:
                c()
            except (retain.Error, TypeError):
                pass
        done += len(calls) + len(errors)
    return done


@pytest.mark.skipif(os.environ.get("RETAIN_TEST_SANITIZED") == "1",
                    reason="RSS is meaningless under AddressSanitizer")
def test_common_paths_do_not_leak(now, later):
    with retain.Engine() as e:
        e.customers.upsert("c1", at=now)
        e.orders.record("o1", customer_id="c1", channel="web", placed_at=now, currency="EUR",
                        total=1)
        e.shipments.record("s1", order_id="o1", at=now)
        closed = retain.Engine()
        closed.close()
        calls, errors = common_paths(e, now, later(days=1))
        errors.append(lambda: closed.counts())
        run(calls, errors, 20_000)  # warm up: caches, statements, the page cache
        gc.collect()
        rss0 = rss_kib()
        tracemalloc.start()
        snap0 = tracemalloc.take_snapshot()
        done = run(calls, errors, CALLS)
        gc.collect()
        snap1 = tracemalloc.take_snapshot()
        tracemalloc.stop()
        rss1 = rss_kib()
    assert done >= CALLS
    growth = sum(s.size_diff for s in snap1.compare_to(snap0, "filename"))
    assert growth < 64 * 1024, f"Python heap grew by {growth} bytes over {done} calls"
    assert rss1 - rss0 < 4096, f"RSS grew by {rss1 - rss0} KiB over {done} calls"


@pytest.mark.skipif(os.environ.get("RETAIN_TEST_SANITIZED") == "1",
                    reason="RSS is meaningless under AddressSanitizer")
def test_open_close_does_not_leak(tmp_path, now):
    path = tmp_path / "leak.db"
    for _ in range(50):
        with retain.Engine(path) as e:
            e.customers.upsert("c1", at=now)
    gc.collect()
    rss0 = rss_kib()
    for _ in range(500):
        e = retain.Engine(path)
        it = e.events.for_customer("c1")
        e.close()
        del it
    gc.collect()
    assert rss_kib() - rss0 < 4096
