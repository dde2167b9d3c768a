"""Delivery: Python transports (answers, exceptions, interrupts), host messages, receipts,
the outbox (listing, history, retry, cancel)."""
import gc
import sys
import weakref
from datetime import datetime, timedelta, timezone

import pytest

import retain

pytestmark = pytest.mark.skipif(not retain.HAVE_DELIVERY, reason="this build has no delivery")


@pytest.fixture
def shop(engine, now):
    """Customer c1 with e-mail and phone, New York time, marketing e-mail granted."""
    engine.customers.upsert("c1", email="ann@example.com", phone="+12125550100",
                            timezone="America/New_York", at=now)
    engine.consent.set("c1", "email", "marketing", "granted", at=now)
    return engine


def queue(engine, host_id, now, channel="email", category="transactional", **kw):
    return engine.messages.queue(host_id, customer_id="c1", channel=channel, category=category,
                                 now=now, **kw)


@pytest.mark.parametrize("answer, state, reason", [
    (retain.Sent(provider_id="p-1"), retain.OutboxState.SENT, None),
    (True, retain.OutboxState.SENT, None),
    (retain.Failed("bounced"), retain.OutboxState.DEAD, "bounced"),
    (retain.Retry(after=timedelta(minutes=5), reason="429"), retain.OutboxState.QUEUED, "429"),
    (retain.Retry(after=300_000), retain.OutboxState.QUEUED, None),
    ("ok", retain.OutboxState.QUEUED, "TypeError: a transport must return"),
    (None, retain.OutboxState.QUEUED, "TypeError"),
])
def test_transport_answers(shop, now, answer, state, reason):
    shop.register_transport("email", lambda m: answer)
    r = queue(shop, "h1", now, template_id="welcome")
    assert r.decision is retain.Decision.QUEUED and r.not_before == now
    stats = shop.outbox.deliver(now)
    assert isinstance(stats, retain.DeliveryStats)
    entry = shop.outbox.get(r.message_id)
    assert entry.state is state and entry.attempts == 1
    if reason:
        assert reason in entry.last_reason
    if isinstance(answer, retain.Retry) and answer.after is not None:
        assert entry.not_before == now + timedelta(minutes=5)
    if state is retain.OutboxState.SENT:
        assert stats.sent == 1 and entry.sent_at == now
        assert entry.provider_id == getattr(answer, "provider_id", None)


def failing_send(message):
    raise RuntimeError("provider down")


def test_transport_exception_is_a_retry_with_the_traceback(shop, now):
    shop.register_transport("email", failing_send)
    r = queue(shop, "h1", now)
    stats = shop.outbox.deliver(now)
    assert stats.retried == 1 and stats.sent == 0
    entry = shop.outbox.get(r.message_id)
    assert entry.state is retain.OutboxState.QUEUED and entry.not_before > now
    assert entry.last_reason.startswith("RuntimeError: provider down")
    attempt = [h for h in shop.outbox.history(r.message_id) if h["event"] == "attempt"][0]
    assert attempt["outcome"] == "retry"
    assert "RuntimeError: provider down" in attempt["reason"]
    assert "failing_send (test_delivery.py:" in attempt["reason"]  # the frame that raised
    # the retry goes out once the transport works again
    shop.register_transport("email", lambda m: retain.Sent())
    shop.outbox.deliver(entry.not_before)
    assert shop.outbox.get(r.message_id).state is retain.OutboxState.SENT


def test_long_exception_text_is_cut_to_the_reason(shop, now):
    def send(m):
        raise ValueError("é" * 500)
    shop.register_transport("email", send)
    r = queue(shop, "h1", now)
    shop.outbox.deliver(now)
    reason = shop.outbox.get(r.message_id).last_reason
    assert reason.startswith("ValueError: éé") and len(reason.encode()) <= 127


def test_transport_may_not_use_its_engine(shop, now):
    shop.register_transport("email", lambda m: shop.customers.get("c1") and True)
    r = queue(shop, "h1", now)
    shop.outbox.deliver(now)
    assert "Misuse" in shop.outbox.get(r.message_id).last_reason
    assert shop.customers.get("c1").id == "c1"  # and the engine is fine afterwards


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
def test_interrupt_stops_the_run_and_is_raised_after_it(shop, now, exc):
    calls = []

    def send(m):
        calls.append(m.id)
        raise exc()
    shop.register_transport("email", send)
    ids = [queue(shop, f"h{i}", now).message_id for i in range(3)]
    with pytest.raises(exc):
        shop.tick(now)
    assert len(calls) == 1  # the run stopped at the first message
    # nothing is lost: the next run hands every message over, the interrupted one included
    sent = []
    shop.register_transport("email", lambda m: sent.append(m.id) or True)
    shop.tick(now)
    assert sorted(sent) == sorted(ids)
    assert all(shop.outbox.get(i).state is retain.OutboxState.SENT for i in ids)


def test_interrupt_from_deliver(shop, now):
    def send(m):
        raise KeyboardInterrupt
    shop.register_transport("email", send)
    queue(shop, "h1", now)
    with pytest.raises(KeyboardInterrupt):
        shop.outbox.deliver(now)
    shop.unregister_transport("email")
    assert shop.outbox.deliver(now) == retain.DeliveryStats(0, 0, 0, 0, 0)


def test_transport_reference_is_kept_until_unregister_or_close(now):
    class Send:
        def __call__(self, m):
            return True
    engine = retain.Engine()
    send = Send()
    ref = weakref.ref(send)
    engine.register_transport("email", send)
    del send
    gc.collect()
    assert ref() is not None
    engine.unregister_transport("email")
    gc.collect()
    assert ref() is None
    with pytest.raises(retain.NotFound):
        engine.unregister_transport("email")
    send2 = Send()
    before = sys.getrefcount(send2)
    engine.register_transport("sms", send2)
    engine.register_transport("sms", send2)  # replacing releases the old registration
    assert sys.getrefcount(send2) == before + 1
    engine.close()
    assert sys.getrefcount(send2) == before
    with pytest.raises(retain.EngineClosed):
        engine.register_transport("sms", send2)


@pytest.mark.parametrize("kw, exc", [
    ({"max_attempts": 1000}, retain.InvalidArgument),
    ({"batch": -1}, retain.InvalidArgument),
    ({"backoff_base": 1.5}, TypeError),
])
def test_register_checks_arguments(engine, kw, exc):
    with pytest.raises(exc):
        engine.register_transport("email", lambda m: True, **kw)
    with pytest.raises(TypeError):
        engine.register_transport("email", "not callable")
    with pytest.raises(retain.InvalidArgument):
        engine.register_transport("Bad Channel!", lambda m: True)


def test_max_attempts_and_retry_of_a_dead_message(shop, now):
    shop.register_transport("email", failing_send, max_attempts=2,
                            backoff_base=timedelta(seconds=1), backoff_cap=1000)
    r = queue(shop, "h1", now)
    t = now
    for _ in range(2):
        shop.outbox.deliver(t)
        t = shop.outbox.get(r.message_id).not_before
    entry = shop.outbox.get(r.message_id)
    assert entry.state is retain.OutboxState.DEAD and entry.attempts == 2
    assert [e.id for e in shop.outbox.list(state="dead")] == [r.message_id]
    events = [e.name for e in shop.events.for_customer("c1")]
    assert "message.failed" in events
    shop.outbox.retry(r.message_id, now=t)
    assert shop.outbox.get(r.message_id).state is retain.OutboxState.QUEUED
    shop.register_transport("email", lambda m: retain.Sent(provider_id="ok"))
    shop.outbox.deliver(t)
    entry = shop.outbox.get(r.message_id)
    assert entry.state is retain.OutboxState.SENT
    with pytest.raises(retain.Conflict):
        shop.outbox.retry(r.message_id, now=t)
    with pytest.raises(retain.Conflict):
        shop.outbox.cancel(r.message_id, now=t)
    kinds = [h["event"] for h in shop.outbox.history(r.message_id)]
    assert kinds[0] == "queued" and "dead" in kinds and "retried" in kinds


def test_outbox_listing_cancel_and_retry(shop, now, later):
    ids = [queue(shop, f"h{i}", later(minutes=i)).message_id for i in range(4)]
    assert [e.id for e in shop.outbox] == ids or sorted(e.id for e in shop.outbox) == ids
    pending = list(shop.outbox.list(state=retain.OutboxState.PENDING))
    assert [e.id for e in pending] == ids  # next due first
    assert len(list(shop.outbox.list(limit=2))) == 2
    assert list(shop.outbox.list(customer="c1", since=later(minutes=2)))
    with pytest.raises(retain.NotFound):
        list(shop.outbox.list(customer="nobody"))
    shop.outbox.cancel(ids[0], now=later(minutes=5))
    cancelled = list(shop.outbox.list(state=["cancelled"]))
    assert [e.id for e in cancelled] == [ids[0]]
    assert cancelled[0].state is retain.OutboxState.CANCELLED
    shop.outbox.retry(ids[0], now=later(minutes=6))
    assert shop.outbox.get(ids[0]).state is retain.OutboxState.QUEUED
    assert shop.outbox.get(ids[0]).not_before == later(minutes=6)
    with pytest.raises(retain.NotFound):
        shop.outbox.get(999)
    with pytest.raises(ValueError):
        shop.outbox.list(limit=-1)
    with pytest.raises(ValueError):
        shop.outbox.list(state="lost")
    it = shop.outbox.list()
    next(it)
    shop.close()
    with pytest.raises(retain.EngineClosed):
        next(it)


def test_queue_skip_receipts_and_lookups(shop, now, later):
    r = queue(shop, "promo-1", now, channel="sms", category="marketing")
    assert r.decision is retain.Decision.SKIPPED and r.message_id is None
    assert "consent" in r.reason
    r = queue(shop, "news-1", now, category="marketing", template_id="news",
              extra={"coupon": {"code": "TEA10"}}, max_age=timedelta(days=1))
    assert r.decision is retain.Decision.QUEUED
    assert queue(shop, "news-1", now, category="marketing").message_id == r.message_id
    seen = []
    shop.register_transport("email", lambda m: seen.append(m) or retain.Sent(provider_id="x9"))
    shop.outbox.deliver(now)
    m = seen[0]
    assert m.host_id == "news-1" and m.journey is None and m.step is None
    assert m.payload["coupon"] == {"code": "TEA10"}
    assert m.payload["unsubscribe"]["category"] == "marketing"
    assert shop.outbox.get(r.message_id).expires_at == now + timedelta(days=1)
    assert shop.messages.find(m.idempotency_key) == r.message_id
    assert shop.messages.find("0" * 64) is None
    assert shop.messages.find_by_provider("email", "x9") == r.message_id
    shop.messages.report(r.message_id, "delivered", at=later(minutes=1))
    shop.messages.report(r.message_id, retain.Receipt.UNSUBSCRIBED, at=later(minutes=2))
    assert shop.outbox.get(r.message_id).delivery in ("delivered", "unsubscribed")
    names = [e.name for e in shop.events.for_customer("c1")]
    assert "message.delivered" in names and "message.unsubscribed" in names
    assert not shop.consent.get("c1", "email", "marketing").granted
    with pytest.raises(ValueError):
        shop.messages.report(r.message_id, "read", at=now)
    with pytest.raises(ValueError):
        queue(shop, "x", now, on_quiet="later")


def test_message_is_immutable_and_complete(shop, now):
    seen = []
    shop.register_transport("email", lambda m: seen.append(m) or True)
    queue(shop, "h1", now, template_id="t1", due_at=now - timedelta(minutes=1))
    shop.outbox.deliver(now)
    m = seen[0]
    assert (m.channel, m.category, m.template_id, m.attempt, m.max_attempts) == \
        ("email", "transactional", "t1", 1, 5)
    assert m.due_at == now - timedelta(minutes=1) and m.now == now
    assert m.fallback_of is None and m.payload_json.startswith("{")
    with pytest.raises(Exception):
        m.attempt = 2
    assert isinstance(m.now, datetime) and m.now.tzinfo is timezone.utc


def test_other_threads_wait_for_the_tick_without_deadlock(shop, now):
    import threading
    got = []
    threads = []

    def send(m):
        # another thread wants the engine while the tick holds it: it must wait (GIL
        # released) and get in once the tick is over
        t = threading.Thread(target=lambda: got.append(shop.customers.get("c1").id))
        t.start()
        threads.append(t)
        return True
    shop.register_transport("email", send)
    queue(shop, "h1", now)
    assert shop.tick(now).sent == 1
    for t in threads:
        t.join(10)
    assert got == ["c1"]
