"""Leaks on the transport path: 10,000 messages through a Python transport (sent, retried,
raising), with the Python heap and RSS staying flat and the callable's references exact."""
import gc
import os
import sys
import tracemalloc
from datetime import datetime, timedelta, timezone

import pytest

import retain
from test_leaks import rss_kib

pytestmark = pytest.mark.skipif(not retain.HAVE_DELIVERY, reason="this build has no delivery")

SENDS = 10_000
ROUND = 100


class Transport:
    def __init__(self):
        self.calls = 0

    def __call__(self, message):
        self.calls += 1
        n = message.id % 10
        if n == 0:
            raise RuntimeError(f"provider down for {message.customer_id}")
        if n == 1:
            return retain.Retry(after=timedelta(hours=1), reason="throttled")
        if n == 2:
            return retain.Failed("bounced")
        return retain.Sent(provider_id=f"p{message.id}")


def rounds(e, t0, start, count):
    """Queue and deliver `count` messages in rounds of ROUND; returns the next index."""
    i = start
    while i < start + count:
        t = t0 + timedelta(seconds=i)
        with e.transaction():
            for k in range(i, i + ROUND):
                e.messages.queue(f"m{k}", customer_id="c1", channel="email",
                                 category="transactional", template_id="receipt", now=t,
                                 extra={"n": k})
        e.outbox.deliver(t)
        i += ROUND
    return i


def test_transport_path_does_not_leak(tmp_path):
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    send = Transport()
    refs = sys.getrefcount(send)
    with retain.Engine(tmp_path / "leak.db", cache_kib=2048) as e:
        e.customers.upsert("c1", email="ann@example.com", at=t0)
        e.register_transport("email", send, batch=50)
        i = rounds(e, t0, 0, 2000)  # warm up: statements, caches
        gc.collect()
        rss0 = rss_kib()
        tracemalloc.start()
        snap0 = tracemalloc.take_snapshot()
        i = rounds(e, t0, i, SENDS)
        gc.collect()
        snap1 = tracemalloc.take_snapshot()
        tracemalloc.stop()
        rss1 = rss_kib()
        assert send.calls >= i  # every message, and the retries that came due
        assert sys.getrefcount(send) == refs + 1  # the engine's one reference
        dead = sum(1 for _ in e.outbox.list(state="dead"))
        assert dead >= i // 10  # the failed ones, and raising ones out of attempts
    assert sys.getrefcount(send) == refs
    assert not [o for o in gc.get_objects() if isinstance(o, retain.Message)]
    growth = sum(s.size_diff for s in snap1.compare_to(snap0, "filename"))
    assert growth < 128 * 1024, f"Python heap grew by {growth} bytes over {SENDS} sends"
    if os.environ.get("RETAIN_TEST_SANITIZED") != "1":  # RSS means nothing under ASan
        assert rss1 - rss0 < 8192, f"RSS grew by {rss1 - rss0} KiB over {SENDS} sends"
