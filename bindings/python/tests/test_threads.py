"""Threads: the GIL is released inside libretain, and one engine serializes its users."""
import threading
import time

import pytest

import retain


def test_waiting_for_a_lock_does_not_block_the_lock_holder(tmp_path, now):
    """Engine b waits (busy_timeout) for a's write transaction. If the wait held the GIL,
    a's thread could not commit and b would fail with Busy after 5 s."""
    path = tmp_path / "busy.db"
    with retain.Engine(path) as a, retain.Engine(path, busy_timeout_ms=5000) as b:
        a.customers.upsert("seed", at=now)
        holding = threading.Event()

        def hold():
            with a.transaction():
                a.customers.upsert("from-a", at=now)
                holding.set()
                time.sleep(0.3)

        t = threading.Thread(target=hold)
        t.start()
        assert holding.wait(5)
        t0 = time.monotonic()
        b.customers.upsert("from-b", at=now)  # waits for a's commit
        elapsed = time.monotonic() - t0
        t.join()
        assert elapsed < 3.0
        assert a.counts().customers == 3


def test_busy_after_timeout(tmp_path, now):
    path = tmp_path / "busy2.db"
    with retain.Engine(path) as a, retain.Engine(path, busy_timeout_ms=50) as b:
        a.customers.upsert("seed", at=now)
        a.begin()
        a.customers.upsert("x", at=now)
        with pytest.raises(retain.Busy):
            b.customers.upsert("y", at=now)
        a.commit()
        b.customers.upsert("y", at=now)


def test_one_engine_many_threads(engine, now):
    errors = []

    def work(k):
        try:
            for i in range(300):
                engine.customers.upsert(f"t{k}-{i}", at=now)
                engine.customers.get(f"t{k}-{i}")
                for _ in engine.events.for_customer(f"t{k}-{i}"):
                    pass
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert engine.counts().customers == 1200


def runs_during(fn):
    """How many times the main thread ran while `fn` ran in another thread, counting only
    after a grace period in which the thread may still be in Python code."""
    span = {}

    def target():
        span["start"] = time.perf_counter()
        fn()
        span["end"] = time.perf_counter()

    t = threading.Thread(target=target)
    stamps = []
    t.start()
    while t.is_alive():
        stamps.append(time.perf_counter())
        time.sleep(0.0005)
    t.join()
    start, end = span["start"] + 0.05, span["end"] - 0.001
    return end - start, sum(start < s < end for s in stamps)


def test_record_many_releases_the_gil(now):
    rows = [(i == 0, (f"o{i}", "c", "web", retain.to_ms(now) + i, "USD", 100, None, None,
                      None, (), None)) for i in range(60000)]
    with retain.Engine() as e:
        duration, runs = runs_during(lambda: e._e.order_record_many(rows, 1000))
        assert e.counts().orders == 60000
    if duration < 0.05:
        pytest.skip("import too fast to observe")
    assert runs > 0
